// Builds the benchmark programs into a temp dir: the trigger (native), bench.bpf.o and
// perf.bpf.o (clang-19 -target bpf), and the workloads twice with both objects embedded: once
// native against Debian's libbpf (-lbpf), once as a wasm32-wasi guest that imports wasm_bpf.
// Both are built at -O2 from the same workloads.c.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bpfTarget, embedObjects, runTool } from './toolchain.ts';
import { GUEST_LINK_FLAGS } from '../sdk/toolchain/compile.ts';

const src = path.join(import.meta.dirname, 'src');

export interface BenchPrograms {
  dir: string;
  trigger: string;
  native: string;
  wasm: string;
}



/** Builds everything into a new temp dir; the caller removes `dir`. */
export function buildPrograms(): BenchPrograms {
  const { define, multiarch } = bpfTarget();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-'));
  try {
    const trigger = path.join(dir, 'trigger');
    runTool('clang-19', ['-O2', '-o', trigger, path.join(src, 'trigger.c')]);
    const objects: Record<string, string> = {};
    for (const name of ['bench', 'perf']) {
      const object = path.join(dir, `${name}.bpf.o`);
      // -mcpu=v3: the seq counter is an atomic fetch-and-add.
      runTool('clang-19', ['-g', '-O2', '-target', 'bpf', '-mcpu=v3', `-D${define}`, '-idirafter', `/usr/include/${multiarch}`,
        '-c', path.join(src, `${name}.bpf.c`), '-o', object]);
      objects[`${name}_bpf_o`] = object;
    }
    embedObjects(objects, path.join(dir, 'objects.h'));
    const workloads = path.join(src, 'workloads.c');
    const native = path.join(dir, 'bench-native');
    runTool('clang-19', ['-O2', '-I', dir, '-o', native, workloads, path.join(src, 'platform-native.c'), '-lbpf']);
    const wasm = path.join(dir, 'bench.wasm');
    runTool('clang-19', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-I', dir, '-o', wasm, workloads,
      path.join(src, 'platform-wasm.c'), ...GUEST_LINK_FLAGS]);
    return { dir, trigger, native, wasm };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
