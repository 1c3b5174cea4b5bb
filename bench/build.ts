// Builds the benchmark programs into a temp dir: the trigger (native), bench.bpf.o and
// perf.bpf.o (clang-19 -target bpf), and the workloads twice with both objects embedded: once
// native against Debian's libbpf (-lbpf), once as a wasm32-wasi guest that imports wasm_bpf.
// Both are built at -O2 from the same workloads.c.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchError } from './errors.ts';
import { GUEST_LINK_FLAGS } from '../sdk/toolchain/compile.ts';

const src = path.join(import.meta.dirname, 'src');
const BPF_ARCH: Partial<Record<string, string>> = { x64: 'x86', arm64: 'arm64' };
const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

export interface BenchPrograms {
  dir: string;
  trigger: string;
  native: string;
  wasm: string;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new BenchError('WASMBPF_BENCH_BUILD', `${cmd} ${args.join(' ')} failed:\n${stderr}`, { cause: err });
  }
}

/** objects.h: each object as a C array, the way a guest built by `wasmbpf compile` embeds it. */
function embed(objects: Record<string, string>, out: string): void {
  fs.writeFileSync(out, Object.entries(objects).map(([name, file]) => {
    const bytes = fs.readFileSync(file);
    return `static const unsigned char ${name}[] __attribute__((aligned(8))) = {${bytes.join(',')}};\n` +
      `static const unsigned int ${name}_len = ${bytes.length};\n`;
  }).join(''));
}

/** Builds everything into a new temp dir; the caller removes `dir`. */
export function buildPrograms(): BenchPrograms {
  const arch = BPF_ARCH[process.arch];
  const multiarch = MULTIARCH[process.arch];
  if (!arch || !multiarch) throw new BenchError('WASMBPF_BENCH_ARCH', `no eBPF target for architecture '${process.arch}'`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-'));
  try {
    const trigger = path.join(dir, 'trigger');
    run('clang-19', ['-O2', '-o', trigger, path.join(src, 'trigger.c')]);
    const objects: Record<string, string> = {};
    for (const name of ['bench', 'perf']) {
      const object = path.join(dir, `${name}.bpf.o`);
      // -mcpu=v3: the seq counter is an atomic fetch-and-add.
      run('clang-19', ['-g', '-O2', '-target', 'bpf', '-mcpu=v3', `-D__TARGET_ARCH_${arch}`, '-idirafter', `/usr/include/${multiarch}`,
        '-c', path.join(src, `${name}.bpf.c`), '-o', object]);
      objects[`${name}_bpf_o`] = object;
    }
    embed(objects, path.join(dir, 'objects.h'));
    const workloads = path.join(src, 'workloads.c');
    const native = path.join(dir, 'bench-native');
    run('clang-19', ['-O2', '-I', dir, '-o', native, workloads, path.join(src, 'platform-native.c'), '-lbpf']);
    const wasm = path.join(dir, 'bench.wasm');
    run('clang-19', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-I', dir, '-o', wasm, workloads,
      path.join(src, 'platform-wasm.c'), ...GUEST_LINK_FLAGS]);
    return { dir, trigger, native, wasm };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
