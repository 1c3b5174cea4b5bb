// A module started inside a running shim server, spec in to attached: what a Wasm container
// costs once its server is warm (issue 12). Measured in this process with the runtime a server
// runs (the built JavaScript when it is fresh): a WorkerPool keeps one warm worker, as the
// server does, and each run times startModule() to the module's first attach (the runtime's
// 'attached' phase). The first run is untimed: it compiles the module, which a server does once
// per image (runtime/module-cache.ts) — the timed runs are the second container of an image.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError } from './errors.ts';
import type { Sample } from './measure.ts';
import { distIsFresh } from './wasmbpf-cli.ts';

type Runtime = typeof import('../runtime/index.ts');

const root = path.resolve(import.meta.dirname, '..');
let runtime: Promise<Runtime> | undefined;
let pool: InstanceType<Runtime['WorkerPool']> | undefined;

function loadRuntime(): Promise<Runtime> {
  const file = distIsFresh() ? path.join(root, 'dist', 'runtime', 'index.js') : path.join(root, 'runtime', 'index.ts');
  return (runtime ??= import(pathToFileURL(file).href) as Promise<Runtime>);
}

async function once(rt: Runtime, wasm: Uint8Array, out: number): Promise<number> {
  pool ??= new rt.WorkerPool(1);
  const deadline = Date.now() + 10_000;
  while (pool.spareCount < 1) {
    if (Date.now() > deadline) throw new BenchError('WASMBPF_BENCH_RUN', 'the warm worker pool made no spare');
    await sleep(20);
  }
  await sleep(300); // the spare has loaded its code (it is ready within ~50 ms on this machine)
  let attachedAt: number | undefined;
  const t0 = performance.timeOrigin + performance.now();
  const startModule = await rt.loadModuleRunner();
  const running = startModule({ wasm, args: ['bench', 'startup'], stdout: out, stderr: out, onPhase: (phase, at) => {
    if (phase === 'attached') attachedAt ??= at;
  } }, pool);
  const status = await running.exited;
  if (status.code !== 0 || attachedAt === undefined) throw new BenchError('WASMBPF_BENCH_RUN', `the warm module start failed (exit ${status.code}${status.error ? `: ${status.error}` : ''})`);
  return attachedAt - t0;
}

/** One warm start of the startup guest: ns from startModule() to its attach. */
export async function moduleStartInServer(wasmPath: string): Promise<Sample> {
  const rt = await loadRuntime();
  const wasm = fs.readFileSync(wasmPath);
  const out = fs.openSync('/dev/null', 'w');
  try {
    if (!pool) await once(rt, wasm, out); // compile once, as for the first container of an image
    return { ops: 1, ns: Math.round((await once(rt, wasm, out)) * 1e6) };
  } finally {
    fs.closeSync(out);
  }
}

/** Ends the pool's spare (the end of the benchmark). */
export async function closeModuleStart(): Promise<void> {
  await pool?.close();
  pool = undefined;
}
