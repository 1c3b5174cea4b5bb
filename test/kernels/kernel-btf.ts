// kernel-btf.ts VMLINUZ OUT: the BTF of a Debian kernel, out of its boot image, for the build
// file's "btf" (bpftool gen min_core_btf reads it). The kernel is compressed inside VMLINUZ
// (x86_64's bzImage: xz for 6.1, zstd for 6.12, after a setup header), or not (arm64's Image,
// EFI stub in front); decompressed, x86_64's is an ELF whose .BTF section bpftool reads as is, arm64's a
// raw Image in which the BTF blob is found by its header (magic 0xeb9f, version 1, 24 bytes).
// Run with scripts/node --import tsx.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const [vmlinuz, out] = process.argv.slice(2);
if (!vmlinuz || !out) {
  console.error('usage: kernel-btf.ts VMLINUZ OUT');
  process.exit(2);
}
const image = fs.readFileSync(vmlinuz);

// Decompressors by magic; each CLI is given everything from the magic on and its output taken
// whatever its status (the payload is followed by more of the boot image: "trailing garbage").
const FORMATS: { magic: number[]; cmd: string[] }[] = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], cmd: ['xz', '-dc'] },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], cmd: ['zstd', '-dcq'] },
  { magic: [0x1f, 0x8b, 0x08], cmd: ['gzip', '-dc'] },
];

function* payloads(): Generator<Buffer> {
  yield image;
  for (const { magic, cmd } of FORMATS) {
    for (let at = image.indexOf(Buffer.from(magic)); at >= 0; at = image.indexOf(Buffer.from(magic), at + 1)) {
      const r = spawnSync(cmd[0]!, cmd.slice(1), { input: image.subarray(at), maxBuffer: 1 << 30 });
      if (r.stdout && r.stdout.length > 1 << 20) yield r.stdout;
    }
  }
}

/** The largest well-formed BTF blob in a raw kernel image, or undefined. */
function rawBtf(kernel: Buffer): Buffer | undefined {
  const header = Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  let best: Buffer | undefined;
  for (let at = kernel.indexOf(header); at >= 0; at = kernel.indexOf(header, at + 1)) {
    const typeLen = kernel.readUInt32LE(at + 12), strOff = kernel.readUInt32LE(at + 16), strLen = kernel.readUInt32LE(at + 20);
    const end = at + 24 + strOff + strLen;
    if (strOff !== typeLen || end > kernel.length || kernel[at + 24 + strOff] !== 0) continue;
    if (!best || end - at > best.length) best = kernel.subarray(at, end);
  }
  return best;
}

for (const kernel of payloads()) {
  const isElf = kernel.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  const btf = isElf ? kernel : rawBtf(kernel);
  if (btf) {
    fs.writeFileSync(out, btf);
    process.exit(0);
  }
}
console.error(`kernel-btf: no kernel with BTF found in ${vmlinuz} (as is, and its xz, zstd and gzip payloads)`);
process.exit(1);
