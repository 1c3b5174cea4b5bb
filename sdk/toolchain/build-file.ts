// wasmbpf.json, the build file of a tool folder: which sources make the tool, the
// architectures to build eBPF objects for, and default arguments. Validation is strict and
// names the field at fault, because a typo here otherwise surfaces as a confusing compiler error.
//
//   {"name": "execsnoop", "bpf": "execsnoop.bpf.c", "guest": ["execsnoop.c"],
//    "arches": ["x86_64", "arm64"], "args": [],
//    "btf": [{"arch": "x86_64", "release": "6.1.0-57-amd64", "path": "btf/vmlinux-6.1.0-57-amd64"}]}
//
// "btf" (optional) names kernels without BTF of their own that the tool should still load on:
// each entry's `path` is that kernel's full BTF (raw, or a vmlinux ELF with a .BTF section;
// relative to the tool folder, or absolute), and the object for `arch` gets the part of it that
// its CO-RE relocations need, for the runtime to use on a kernel whose `uname -r` is `release`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ARCHES, normalizeArch, type Arch } from '../../oci-spec/arch.ts';
import { BuildFileError } from './errors.ts';

export const BUILD_FILE = 'wasmbpf.json';

export interface BuildFile {
  /** The tool's name: the module is NAME.wasm, the skeleton NAME_bpf. */
  name: string;
  /** The eBPF source, relative to the tool folder. */
  bpf: string;
  /** The guest's C sources, relative to the tool folder. */
  guest: string[];
  /** Architectures to build eBPF objects for (the build machine's is always built too). */
  arches: Arch[];
  /** Default arguments an image runs the module with. */
  args: string[];
  /** Kernels without BTF to carry min-CO-RE BTF for (see the file comment); empty by default. */
  btf: BtfSource[];
}

export interface BtfSource {
  arch: Arch;
  /** The kernel's release, as `uname -r` prints it. */
  release: string;
  /** The kernel's full BTF: absolute, or relative to the tool folder. */
  path: string;
}

// Becomes part of an ELF section name: no spaces, no slashes.
const RELEASE_RE = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/;

function btfSources(raw: unknown): BtfSource[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new BuildFileError(`${BUILD_FILE}: "btf" must be an array of {"arch", "release", "path"}`);
  return raw.map((e: unknown, i) => {
    const where = `${BUILD_FILE}: "btf"[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new BuildFileError(`${where} must be an object {"arch", "release", "path"}`);
    const { arch: a, release, path: p, ...rest } = e as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new BuildFileError(`${where}: unknown field "${extra[0]}" (known: arch, release, path)`);
    const arch = typeof a === 'string' ? normalizeArch(a) : undefined;
    if (!arch) throw new BuildFileError(`${where}: unknown architecture ${JSON.stringify(a)} (${ARCHES.join(', ')})`);
    if (typeof release !== 'string' || !RELEASE_RE.test(release)) {
      throw new BuildFileError(`${where}: "release" must be a kernel release as uname -r prints it, not ${JSON.stringify(release)}`);
    }
    if (typeof p !== 'string' || p === '') throw new BuildFileError(`${where}: "path" must name the kernel's BTF file`);
    return { arch, release, path: p };
  });
}

const KNOWN_KEYS = new Set(['name', 'bpf', 'guest', 'arches', 'args', 'description', 'btf']);
// A C identifier once '-' becomes '_': the skeleton's struct is named after the tool.
const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function relativeSource(value: unknown, field: string, ext: string): string {
  if (typeof value !== 'string' || value === '') throw new BuildFileError(`${BUILD_FILE}: "${field}" must be a non-empty string`);
  if (path.isAbsolute(value) || value.split(/[\\/]/).includes('..')) {
    throw new BuildFileError(`${BUILD_FILE}: "${field}" must be a path inside the tool folder, not '${value}'`);
  }
  if (!value.endsWith(ext)) throw new BuildFileError(`${BUILD_FILE}: "${field}" must name a ${ext} file, not '${value}'`);
  return value;
}

/** Validates a parsed build file; throws BuildFileError naming the first problem. */
export function validateBuildFile(raw: unknown): BuildFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BuildFileError(`${BUILD_FILE} must hold a JSON object`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(key)) throw new BuildFileError(`${BUILD_FILE}: unknown field "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const name = obj.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new BuildFileError(`${BUILD_FILE}: "name" must be a tool name (a letter, then letters, digits, '_' or '-'; at most 64), not ${JSON.stringify(name)}`);
  }
  const bpf = relativeSource(obj.bpf ?? `${name}.bpf.c`, 'bpf', '.bpf.c');
  const guestRaw = obj.guest ?? [`${name}.c`];
  if (!Array.isArray(guestRaw) || guestRaw.length === 0) throw new BuildFileError(`${BUILD_FILE}: "guest" must be a non-empty array of .c files`);
  const guest = guestRaw.map((g, i) => relativeSource(g, `guest[${i}]`, '.c'));
  if (guest.includes(bpf)) throw new BuildFileError(`${BUILD_FILE}: '${bpf}' cannot be both the eBPF source and a guest source`);
  const archesRaw = obj.arches ?? [];
  if (!Array.isArray(archesRaw)) throw new BuildFileError(`${BUILD_FILE}: "arches" must be an array such as ["x86_64", "arm64"]`);
  const arches: Arch[] = [];
  for (const a of archesRaw) {
    const arch = typeof a === 'string' ? normalizeArch(a) : undefined;
    if (!arch) throw new BuildFileError(`${BUILD_FILE}: unknown architecture ${JSON.stringify(a)} in "arches" (${ARCHES.join(', ')})`);
    if (!arches.includes(arch)) arches.push(arch);
  }
  const argsRaw = obj.args ?? [];
  if (!Array.isArray(argsRaw) || !argsRaw.every((a) => typeof a === 'string')) throw new BuildFileError(`${BUILD_FILE}: "args" must be an array of strings`);
  if (obj.description !== undefined && typeof obj.description !== 'string') throw new BuildFileError(`${BUILD_FILE}: "description" must be a string`);
  return { name, bpf, guest, arches, args: argsRaw as string[], btf: btfSources(obj.btf) };
}

/** Reads and validates DIR/wasmbpf.json. */
export async function readBuildFile(dir: string): Promise<BuildFile> {
  const file = path.join(dir, BUILD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // ENOTDIR: DIR is a file (`wasmbpf compile tool.c`); say that, not the errno.
    if (code === 'ENOTDIR') throw new BuildFileError(`${dir} is not a folder: give the tool folder that holds ${BUILD_FILE}`, { cause });
    const why = code === 'ENOENT' ? 'not found (is this a tool folder? `wasmbpf new NAME` makes one)' : `unreadable (${code})`;
    throw new BuildFileError(`${file}: ${why}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new BuildFileError(`${file}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return validateBuildFile(raw);
}
