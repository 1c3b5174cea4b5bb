// What an eBPF object says about itself, read from its ELF bytes (no I/O). Every BPF ELF has
// e_machine EM_BPF whatever CPU it was built for, so the CPU architecture is recorded by the
// SDK in a section of its own, `.wasmbpf.arch`, holding the kernel-style name ("x86_64").
// libbpf skips sections it does not know, so the marker costs nothing at load time.
import { normalizeArch, type Arch } from './arch.ts';
import { WasmbpfError } from '../errors/index.ts';

export const ARCH_SECTION = '.wasmbpf.arch';
const EM_BPF = 247;

export class ElfFormatError extends WasmbpfError {
  readonly code = 'WASMBPF_ELF_FORMAT';
}

export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
}

/** Parses the section table of a 64-bit little- or big-endian ELF; throws ElfFormatError on anything malformed. */
export function readElfSections(bytes: Uint8Array): { machine: number; sections: ElfSection[] } {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfFormatError('not an ELF file (bad magic)');
  }
  if (bytes[4] !== 2) throw new ElfFormatError('not a 64-bit ELF file');
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  const u64 = (o: number) => {
    const v = view.getBigUint64(o, little);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError('ELF offset out of range');
    return Number(v);
  };
  const machine = u16(18);
  const shoff = u64(40);
  const shentsize = u16(58);
  const shnum = u16(60);
  const shstrndx = u16(62);
  if (shentsize < 64 || shoff + shnum * shentsize > bytes.length) {
    throw new ElfFormatError('ELF section table lies outside the file (truncated?)');
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({ nameOff: u32(at), type: u32(at + 4), offset: u64(at + 24), size: u64(at + 32) });
  }
  const strtab = raw[shstrndx];
  if (!strtab || strtab.offset + strtab.size > bytes.length) throw new ElfFormatError('ELF section name table is missing or truncated');
  const decoder = new TextDecoder();
  const sections = raw.map((s) => {
    const start = strtab.offset + s.nameOff;
    let end = start;
    while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++;
    // SHT_NOBITS (8) sections occupy no file bytes; everything else must fit in the file.
    if (s.type !== 8 && s.offset + s.size > bytes.length) throw new ElfFormatError('an ELF section lies outside the file (truncated?)');
    return { name: decoder.decode(bytes.subarray(start, end)), type: s.type, offset: s.offset, size: s.size };
  });
  return { machine, sections };
}

export function isBpfElf(bytes: Uint8Array): boolean {
  try {
    return readElfSections(bytes).machine === EM_BPF;
  } catch {
    return false;
  }
}

/** The architecture recorded by the SDK, or undefined for an object built without the marker (e.g. by wasm-bpf's own toolchain). */
export function readObjectArch(bytes: Uint8Array): Arch | undefined {
  const { sections } = readElfSections(bytes);
  const section = sections.find((s) => s.name === ARCH_SECTION);
  if (!section) return undefined;
  const text = new TextDecoder().decode(bytes.subarray(section.offset, section.offset + section.size)).replace(/\0+$/, '');
  const arch = normalizeArch(text);
  if (!arch) throw new ElfFormatError(`unknown architecture '${text}' in the ${ARCH_SECTION} section`);
  return arch;
}

/**
 * BTF for kernels without their own (/sys/kernel/btf/vmlinux): the SDK adds, per kernel release
 * named in the build file's "btf", a section `.wasmbpf.btf.RELEASE` holding the BTF that
 * `bpftool gen min_core_btf` keeps of that kernel's for this object (the types its CO-RE
 * relocations touch, a few hundred bytes). Typed SHT_STRTAB like the arch marker: libbpf skips it.
 */
export const BTF_SECTION_PREFIX = '.wasmbpf.btf.';

/** The kernel releases an object carries BTF for, each with its BTF bytes (a view into `bytes`). */
export function readObjectBtfs(bytes: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of readElfSections(bytes).sections) {
    if (s.name.startsWith(BTF_SECTION_PREFIX) && s.name.length > BTF_SECTION_PREFIX.length) {
      out.set(s.name.slice(BTF_SECTION_PREFIX.length), bytes.subarray(s.offset, s.offset + s.size));
    }
  }
  return out;
}
