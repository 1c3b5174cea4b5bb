// compileTool: one tool folder in, one Wasm module and per-architecture eBPF objects out.
//
//   DIR/wasmbpf.json + NAME.bpf.c + NAME.c [+ NAME.h]
//     -> DIR/build/vmlinux.h                 (bpftool, from the kernel's BTF; cached per kernel)
//     -> DIR/build/NAME.ARCH.bpf.o           (clang-19 -target bpf, one per arch, marked with
//                                             its arch in a .wasmbpf.arch ELF section, plus the
//                                             min-CO-RE BTF of the build file's "btf" kernels)
//     -> DIR/build/NAME.skel.h               (bpftool gen skeleton, from the build machine's object)
//     -> DIR/build/NAME.wasm.h, NAME.layout.ts (wasm32 struct layouts from the object's BTF,
//                                             when NAME.h defines shared structs)
//     -> DIR/build/NAME.wasm                 (clang-19 --target=wasm32-wasi, object embedded)
//
// Only Debian's clang-19, llvm-objcopy-19 and bpftool are used; nothing is fetched. Steps run
// in order and stop at the first failure with the compiler's own message, like make would.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hostArch, targetArchDefine, type Arch } from '../../oci-spec/arch.ts';
import { readBuildFile, type BuildFile } from './build-file.ts';
import { addArchMarker } from './arch-marker.ts';
import { minCoreBtfSections } from './btfgen.ts';
import { sdkInclude } from './assets.ts';
import { BuildFileError } from './errors.ts';
import { run } from './exec.ts';
import { generateLayouts } from './layouts.ts';
import { ensureVmlinuxH } from './vmlinux.ts';

/**
 * How a guest is linked. The wasm_bpf and wasmbpf_v1 imports are resolved by the host, and the
 * host calls guest callbacks (sample_fn) through the exported function table. Three quarters of
 * an unstripped module is wasi-libc's DWARF, which nothing at run time reads; the name section
 * stays, so a trap's stack trace still names the guest's functions.
 */
export const GUEST_LINK_FLAGS: readonly string[] = ['-Wl,--allow-undefined', '-Wl,--export-table', '-Wl,--strip-debug'];

export type { Arch } from '../../oci-spec/arch.ts';

export interface CompiledTool {
  name: string;
  /** The tool folder, absolute. */
  dir: string;
  wasmPath: string;
  /** One per architecture; `name` is what an image calls the object ("NAME.bpf.o"). */
  objects: { arch: Arch; name: string; path: string }[];
  /** Default arguments from the build file. */
  args: string[];
}

export interface CompileOptions {
  /** Architectures to build objects for; defaults to the build file's. The build machine's is always added. */
  arches?: Arch[];
  /** Where outputs go; defaults to DIR/build. */
  outDir?: string;
}

/** Debian's multiarch include folder of the build machine (asm/types.h for the UAPI headers). */
export const DEBIAN_MULTIARCH: Readonly<Record<Arch, string>> = {
  x86_64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu', ppc64le: 'powerpc64le-linux-gnu',
};

/** Architectures whose pt_regs need a definition the build machine's vmlinux.h lacks. */
const PT_REGS_COMPAT: Partial<Record<Arch, string>> = { arm64: 'bpf-compat/arm64-pt-regs.h' };

async function compileBpfObject(tool: BuildFile, dir: string, outDir: string, arch: Arch, buildMachine: Arch): Promise<string> {
  const output = path.join(outDir, `${tool.name}.${arch}.bpf.o`);
  const raw = path.join(outDir, `${tool.name}.${arch}.tmp.bpf.o`);
  const linked = path.join(outDir, `${tool.name}.${arch}.linked.bpf.o`);
  const btfDir = path.join(outDir, `${tool.name}.${arch}.btf.tmp`);
  const args = [
    '-g', '-O2', '-target', 'bpf', `-D${targetArchDefine(arch)}`,
    '-Wall', '-Wno-unused-function',
    // The object's BTF line info keeps source paths, and clang's output also shifts with the
    // working directory: map both to fixed names so an image's digest does not depend on
    // where `wasmbpf build` ran. (A copy of the folder elsewhere can still differ: clang-19
    // orders a few BTF forward declarations differently depending on the paths involved.)
    '-fdebug-compilation-dir=.', `-ffile-prefix-map=${dir}=.`, `-ffile-prefix-map=${outDir}=./build`,
    '-I', outDir, '-I', dir, '-I', path.join(sdkInclude(), 'ebpf'), '-idirafter', `/usr/include/${DEBIAN_MULTIARCH[buildMachine]}`,
  ];
  const compat = PT_REGS_COMPAT[arch];
  if (compat && arch !== buildMachine) args.push('-include', path.join(sdkInclude(), compat));
  args.push('-c', path.join(dir, tool.bpf), '-o', raw);
  await mkdir(btfDir, { recursive: true });
  try {
    await run('clang-19', args, `compiling ${tool.bpf} for ${arch}`);
    // bpftool gen object links the object the way libbpf expects and drops the DWARF
    // (BTF keeps what CO-RE and the layouts need), so the embedded copy stays small.
    await run('bpftool', ['gen', 'object', linked, raw], `linking ${tool.bpf} for ${arch}`);
    await addArchMarker(linked, output, arch, await minCoreBtfSections(linked, arch, tool.btf, dir, btfDir));
  } finally {
    await rm(raw, { force: true });
    await rm(linked, { force: true });
    await rm(btfDir, { recursive: true, force: true });
  }
  return output;
}

/** The skeleton struct is NAME_bpf, as libbpf-bootstrap's Makefile names it. */
export function skeletonName(toolName: string): string {
  return `${toolName.replace(/-/g, '_')}_bpf`;
}

async function generateSkeleton(tool: BuildFile, object: string, outDir: string): Promise<string> {
  const output = path.join(outDir, `${tool.name}.skel.h`);
  const { stdout } = await run('bpftool', ['gen', 'skeleton', object, 'name', skeletonName(tool.name)], `generating the skeleton of ${path.basename(object)}`);
  await writeFile(output, stdout);
  return output;
}

async function compileGuest(tool: BuildFile, dir: string, outDir: string): Promise<string> {
  const output = path.join(outDir, `${tool.name}.wasm`);
  const tmp = `${output}.tmp`;
  await run('clang-19', [
    '--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-Wall',
    // wasi-libc's clock() and times() need these; tools that print durations use them.
    '-D_WASI_EMULATED_PROCESS_CLOCKS',
    '-I', sdkInclude(), '-I', outDir, '-I', dir,
    ...tool.guest.map((g) => path.join(dir, g)),
    '-o', tmp,
    '-lwasi-emulated-process-clocks',
    ...GUEST_LINK_FLAGS,
  ], `compiling the guest (${tool.guest.join(', ')})`);
  await rename(tmp, output);
  return output;
}

/** Builds the tool folder DIR; see the file comment for what lands in DIR/build. */
export async function compileTool(dir: string, opts: CompileOptions = {}): Promise<CompiledTool> {
  const toolDir = path.resolve(dir);
  const tool = await readBuildFile(toolDir);
  for (const src of [tool.bpf, ...tool.guest]) {
    if (!existsSync(path.join(toolDir, src))) throw new BuildFileError(`${path.join(toolDir, src)}: not found (named in wasmbpf.json)`);
  }
  const outDir = path.resolve(opts.outDir ?? path.join(toolDir, 'build'));
  await mkdir(outDir, { recursive: true });
  const buildMachine = hostArch();
  const arches: Arch[] = [buildMachine];
  for (const a of opts.arches ?? tool.arches) if (!arches.includes(a)) arches.push(a);

  await ensureVmlinuxH(outDir);
  const objects: CompiledTool['objects'] = [];
  for (const arch of arches) {
    const objectPath = await compileBpfObject(tool, toolDir, outDir, arch, buildMachine);
    objects.push({ arch, name: `${tool.name}.bpf.o`, path: objectPath });
  }
  const hostObject = objects[0]!.path;
  await generateSkeleton(tool, hostObject, outDir);

  const sharedHeader = path.join(toolDir, `${tool.name}.h`);
  if (existsSync(sharedHeader)) {
    await generateLayouts({
      toolName: tool.name,
      headerSource: await readFile(sharedHeader, 'utf8'),
      objectBytes: await readFile(hostObject),
      outDir,
    });
  }
  const wasmPath = await compileGuest(tool, toolDir, outDir);
  return { name: tool.name, dir: toolDir, wasmPath, objects, args: tool.args };
}
