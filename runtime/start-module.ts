// Starts a module in a worker thread of its own and controls it: stop with a grace period, exit
// status, usage, and the cleanup guarantee — whatever way the worker ends (return, trap,
// terminate, out of memory), every eBPF object, link, buffer and socket it held is freed before
// `exited` resolves.
//
// The module is compiled here (module-cache.ts: once per digest and memory cap) while its worker
// boots, or is taken warm from a WorkerPool; the compiled module is then posted to the worker.
import fs from 'node:fs';
import { hostArch } from '../oci-spec/arch.ts';
import { closeLogSink, installLibbpfLogRouter, openLogSink } from './bpf/libbpf-log.ts';
import { ResourceLedger } from './bpf/resource-ledger.ts';
import { compileModule } from './module-cache.ts';
import { acquireRunTimeStats } from './bpf/bpf-stats.ts';
import { newStatsBuffer } from './module-stats.ts';
import { ModuleStatsReader } from './module-stats-reader.ts';
import { DEFAULT_MEMORY_LIMIT, MemoryLimitError } from './wasm/memory-limit.ts';
import { StopSignal } from './wasm/stop-signal.ts';
import { ModuleWorker, type WorkerPool } from './worker-pool.ts';
import { WorkerStat, type ControllerMessage, type WorkerExit, type WorkerMessage } from './worker-protocol.ts';
import type { ExitStatus, ModuleSpec, ModuleStats, ModuleUsage, RunningModule, StopSignal as StopName } from './contract.ts';

const SIGNAL_NUMBERS: Record<StopName, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
/** How long a kill waits for the guest to reach a host call (where it unwinds) before terminating the thread. */
const KILL_FALLBACK_MS = 1000;
const OOM_EXIT_CODE = 137;
/** /proc's clock ticks (USER_HZ), 100 on every Linux architecture Node runs on. */
const NS_PER_TICK = 10_000_000;

const now = () => performance.timeOrigin + performance.now();

/** Why a module could not be compiled, as the exit error says it. */
function compileFailure(err: unknown): string {
  if (err instanceof WebAssembly.CompileError) return `invalid Wasm module: ${err.message}`;
  if (err instanceof MemoryLimitError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** utime and stime of one thread of this process, in clock ticks. */
function threadTicks(tid: number): { user: number; system: number } {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // After the command name in parentheses (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return { user: 0, system: 0 };
  }
}

/**
 * Runs the module on a worker: one taken from `from` (a pool's warm spare, or a worker the
 * caller started ahead, e.g. while it read the image), else a new one.
 */
export function startModule(spec: ModuleSpec, from?: WorkerPool | ModuleWorker): RunningModule {
  const stderr = spec.stderr ?? 2;
  const memoryLimit = spec.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
  const log = installLibbpfLogRouter();
  const sink = openLogSink(stderr);
  const stop = new StopSignal();
  const ledger = new ResourceLedger();
  const statsBuffer = new SharedArrayBuffer(WorkerStat.COUNT * 8);
  const stats = new Float64Array(statsBuffer);
  const counters = newStatsBuffer();
  // Kernel run-time stats for as long as the worker lives (released in the exit handler below).
  const runTime = spec.kernelStats ? acquireRunTimeStats() : undefined;
  const statsReader = new ModuleStatsReader(counters, () => runTime?.enabled ?? false);
  const moduleWorker = from instanceof ModuleWorker ? from : from ? from.take() : new ModuleWorker();
  const worker = moduleWorker.thread;
  const onPhase = spec.onPhase;
  moduleWorker.whenReady(() => onPhase?.('worker-ready', now()));

  let result: WorkerExit | undefined;
  let stoppedBy: StopName | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let ended = false;

  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'phase') onPhase?.(m.phase, m.at);
    else if (m.type === 'stats-meta') statsReader.add(m.meta);
    else if (m.type === 'exit') result = m;
  });
  worker.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      result ??= { code: OOM_EXIT_CODE, outOfMemory: true, error: `the module's worker ran out of its V8 heap (${err.message})` };
      return;
    }
    result ??= { code: 1, error: `runtime error: ${err.message}` };
  });

  // Compile (or take from the cache) while the worker boots; then hand it the module. A module
  // that does not compile ends the worker unused.
  void compileModule(spec.wasm, memoryLimit).then(
    (module) => {
      onPhase?.('compiled', now());
      const message: ControllerMessage = {
        type: 'run',
        init: {
          module,
          args: spec.args,
          env: spec.env ?? [],
          stdin: spec.stdin ?? 0,
          stdout: spec.stdout ?? 1,
          stderr,
          preopens: spec.preopens ?? {},
          bpfObjects: spec.bpfObjects ?? [],
          hostArch: spec.hostArch ?? hostArch(),
          policy: spec.policy ?? {},
          memoryLimit,
          stop: stop.sab,
          ledger: ledger.sab,
          stats: statsBuffer,
          counters,
          log,
          sink,
          tracePhases: onPhase !== undefined,
          ...(spec.tcJournal ? { tcJournal: spec.tcJournal } : {}),
        },
      };
      worker.postMessage(message);
    },
    (err: unknown) => {
      result ??= { code: 1, error: compileFailure(err) };
      moduleWorker.whenReady(() => void worker.terminate());
    },
  );

  // Last resort, for a guest that makes no host call (a busy loop). Never while the worker is
  // still loading its FFI modules: terminating it inside koffi aborts the whole process.
  const terminate = () => moduleWorker.whenReady(() => void worker.terminate());
  // A kill first asks nicely at the machine level: the next host import throws and the guest's
  // frames unwind on its own thread, which then frees everything itself.
  const kill = () => {
    stop.kill();
    killTimer ??= setTimeout(terminate, KILL_FALLBACK_MS).unref();
  };

  const exited = new Promise<ExitStatus>((resolve) => {
    worker.once('exit', () => {
      ended = true;
      if (graceTimer) clearTimeout(graceTimer);
      if (killTimer) clearTimeout(killTimer);
      const leaked = ledger.reap();
      // Every tc filter is detached now (by the worker, or just now by the reaper): nothing for a cleanup to find.
      if (spec.tcJournal) fs.rmSync(spec.tcJournal, { recursive: true, force: true });
      runTime?.release();
      closeLogSink(sink);
      // A worker that failed before this module listened (it could not load its code).
      if (!result && moduleWorker.failure && !stoppedBy) result = { code: 1, error: `runtime error: ${moduleWorker.failure.message}` };
      let status: ExitStatus;
      if (result && !result.killed) {
        status = { code: result.code };
        if (result.error) status.error = result.error;
        if (result.outOfMemory) status.outOfMemory = true;
      } else {
        const sig = stoppedBy ?? 'SIGKILL';
        status = { code: 128 + SIGNAL_NUMBERS[sig] };
      }
      if (stoppedBy) status.signal = stoppedBy;
      if (status.error) {
        try {
          fs.writeSync(stderr, `wasmbpf: ${status.error}\n`);
        } catch {
          // stderr already closed
        }
      }
      if (leaked > 0 && process.env.WASMBPF_DEBUG) process.stderr.write(`wasmbpf: reaped ${leaked} eBPF resources of a terminated module\n`);
      resolve(status);
    });
  });

  const running: RunningModule = {
    threadId: worker.threadId,
    exited,
    stop(signal: StopName) {
      if (result) return;
      if (signal === 'SIGKILL') {
        stoppedBy = 'SIGKILL';
        kill();
        return;
      }
      if (stoppedBy) return;
      stoppedBy = signal;
      stop.request();
      graceTimer = setTimeout(kill, spec.gracePeriodMs ?? 3000).unref();
    },
    async usage(): Promise<ModuleUsage> {
      const tid = stats[WorkerStat.TID]!;
      if (ended || !tid) return { cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 };
      const ticks = threadTicks(tid);
      let heap = { used_heap_size: 0, heap_size_limit: 0 };
      try {
        heap = await worker.getHeapStatistics();
      } catch {
        // the worker ended meanwhile
      }
      return {
        cpuUserNs: ticks.user * NS_PER_TICK,
        cpuSystemNs: ticks.system * NS_PER_TICK,
        wasmMemoryBytes: stats[WorkerStat.WASM_MEMORY]!,
        heapUsedBytes: heap.used_heap_size,
        heapLimitBytes: heap.heap_size_limit,
      };
    },
    stats(): ModuleStats {
      return statsReader.read();
    },
    async [Symbol.asyncDispose]() {
      running.stop('SIGKILL');
      await exited;
    },
  };
  return running;
}
