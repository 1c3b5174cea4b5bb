// Module workers, started ahead of their modules. A worker's first ~40 ms go to booting a V8
// isolate and loading koffi, the libbpf declarations and the host; a pool keeps `spares` workers
// that have done so, and a module started through it takes one and begins at once. A new spare
// is made a moment later, off the taken module's start-up path (on two cores it would compete
// with the verifier for the CPU). Each worker runs one module and ends with it
// (worker-protocol.ts says why), so a pool never hands out a used thread.
//
// A spare costs its memory (an isolate with the runtime loaded, about 10 MiB) while it waits:
// the shim server keeps one, `wasmbpf run` (one module per process) none.
import { Worker } from 'node:worker_threads';
import type { WorkerMessage } from './worker-protocol.ts';

const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A module's host code allocates almost nothing per event (records go straight into guest memory,
 * which is not JS heap), so its worker gets a small young generation and a modest old one: V8's
 * defaults reserve far more, and one worker per module is what a shim pays per module
 * (docs/benchmarks.md). Reaching the limit ends the module as out of memory, never the process.
 */
const HEAP_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 };
/** What a worker's V8 heap may hold at most: a task's memory limit pays for it before its Wasm memory. */
export const WORKER_HEAP_LIMIT_BYTES = (HEAP_LIMITS.maxYoungGenerationSizeMb + HEAP_LIMITS.maxOldGenerationSizeMb) * 1024 * 1024;
/** How long after a spare is taken its replacement starts booting. */
const REPLENISH_DELAY_MS = 100;

/** A worker thread and whether it has loaded its code ('ready': from then on terminate() is safe). */
export class ModuleWorker {
  readonly thread: Worker;
  #ready = false;
  readonly #waiters: (() => void)[] = [];
  /** Why the thread failed, if it did before its module's controller listened (a spare that could not load). */
  failure: Error | undefined;

  constructor() {
    this.thread = new Worker(WORKER_URL, { stdout: false, stderr: false, resourceLimits: HEAP_LIMITS });
    // Always listened to: an 'error' nobody listens to would be thrown in the process (a spare
    // failing to load must not take the shim server down). The pool drops a spare that exits.
    this.thread.on('error', (error) => (this.failure ??= error));
    const onMessage = (m: WorkerMessage) => {
      if (m.type !== 'ready') return;
      this.thread.off('message', onMessage);
      this.#ready = true;
      for (const wake of this.#waiters.splice(0)) wake();
    };
    this.thread.on('message', onMessage);
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Runs fn once the worker is ready (at once if it is). */
  whenReady(fn: () => void): void {
    if (this.#ready) fn();
    else this.#waiters.push(fn);
  }
}

export class WorkerPool {
  readonly #spares: ModuleWorker[] = [];
  readonly #size: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** spares: how many ready workers to keep (0: every module boots its own). */
  constructor(spares: number) {
    this.#size = Math.max(0, Math.floor(spares));
    this.#replenish();
  }

  /** A worker for a new module: a spare if there is one, else a fresh one. */
  take(): ModuleWorker {
    const spare = this.#spares.shift();
    if (this.#size > 0 && !this.#timer && !this.#closed) this.#timer = setTimeout(() => this.#replenish(), REPLENISH_DELAY_MS).unref();
    if (!spare) return new ModuleWorker();
    spare.thread.ref();
    return spare;
  }

  get spareCount(): number {
    return this.#spares.length;
  }

  #replenish(): void {
    this.#timer = undefined;
    while (!this.#closed && this.#spares.length < this.#size) {
      const spare = new ModuleWorker();
      spare.thread.unref(); // a waiting spare keeps no process alive
      // A spare that dies (out of memory while loading, a bug) is replaced at the next take.
      spare.thread.once('exit', () => {
        const at = this.#spares.indexOf(spare);
        if (at >= 0) this.#spares.splice(at, 1);
      });
      this.#spares.push(spare);
    }
  }

  /** Ends the spares (once each is ready: terminating one inside koffi's load aborts the process). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const spares = this.#spares.splice(0);
    // ref(): an unref'd thread still loading would not keep the process alive to be waited for.
    for (const s of spares) s.thread.ref();
    await Promise.all(spares.map((s) => new Promise<void>((resolve) => {
      s.thread.once('exit', () => resolve()); // also a spare that died while loading
      s.whenReady(() => void s.thread.terminate());
    })));
  }
}
