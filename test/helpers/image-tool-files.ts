// Small, real-format inputs for image tests: a valid (empty) Wasm module and minimal eBPF ELF
// objects (EM_BPF, with the SDK's .wasmbpf.arch marker when asked), built in memory so unit
// tests need no compiler. readObjectArch and isBpfElf parse them like compiler output.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Arch } from '../../oci-spec/arch.ts';

/** The smallest valid module, plus a custom section so different tools have different bytes. */
export function tinyWasm(tag = 'tool'): Uint8Array {
  const name = new TextEncoder().encode('wasmbpf-test');
  const payload = new TextEncoder().encode(tag);
  const section = [name.length, ...name, ...payload];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, section.length, ...section]);
}

/** A 64-bit little-endian ELF with e_machine EM_BPF and, unless `marker` is null, a .wasmbpf.arch section. */
export function tinyBpfObject(marker: Arch | string | null, extra = ''): Uint8Array {
  const enc = new TextEncoder();
  const names = ['', '.shstrtab', '.wasmbpf.arch', '.note.test'];
  const shstrtab = enc.encode(`${names.join('\0')}\0`);
  const nameOff = (n: string) => names.slice(0, names.indexOf(n)).reduce((o, s) => o + s.length + 1, 0);
  const archData = enc.encode(`${marker ?? ''}\0`);
  const note = enc.encode(extra);
  const dataStart = 64;
  const offShstr = dataStart;
  const offArch = offShstr + shstrtab.length;
  const offNote = offArch + archData.length;
  const shoff = Math.ceil((offNote + note.length) / 8) * 8;
  const sections = marker === null ? 3 : 4;
  const bytes = new Uint8Array(shoff + sections * 64);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, sections, true);
  v.setUint16(62, 1, true);
  bytes.set(shstrtab, offShstr);
  bytes.set(archData, offArch);
  bytes.set(note, offNote);
  const sh = (i: number, name: number, type: number, off: number, size: number) => {
    const at = shoff + i * 64;
    v.setUint32(at, name, true);
    v.setUint32(at + 4, type, true);
    v.setBigUint64(at + 24, BigInt(off), true);
    v.setBigUint64(at + 32, BigInt(size), true);
  };
  sh(1, nameOff('.shstrtab'), 3, offShstr, shstrtab.length);
  sh(2, nameOff('.note.test'), 1, offNote, note.length);
  if (marker !== null) sh(3, nameOff('.wasmbpf.arch'), 1, offArch, archData.length);
  return bytes;
}

export interface ToolFiles {
  dir: string;
  tool: { name: string; wasmPath: string; objects: { arch: Arch; name: string; path: string }[]; args: string[] };
  cleanup(): Promise<void>;
}

/** Writes a tool's compiled artifacts (what compileTool returns) to a temp dir. */
export async function writeToolFiles(name: string, arches: Arch[], args: string[] = []): Promise<ToolFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-tool-'));
  const wasmPath = join(dir, `${name}.wasm`);
  await writeFile(wasmPath, tinyWasm(name));
  const objects = [];
  for (const arch of arches) {
    const path = join(dir, `${name}.${arch}.bpf.o`);
    await writeFile(path, tinyBpfObject(arch, name));
    objects.push({ arch, name: `${name}.bpf.o`, path });
  }
  return { dir, tool: { name, wasmPath, objects, args }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
