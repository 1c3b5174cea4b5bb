// Starts a module in its own worker thread and controls it: stop with a grace period, exit
// status, and the cleanup guarantee — whatever way the worker ends (return, trap, terminate),
// every eBPF object, link, buffer and socket it held is freed before `exited` resolves.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { archFromNode, type Arch } from '../oci-spec/arch.ts';
import { closeLogSink, installLibbpfLogRouter, openLogSink } from './bpf/libbpf-log.ts';
import { ResourceLedger } from './bpf/resource-ledger.ts';
import { DEFAULT_MEMORY_LIMIT } from './wasm/memory-limit.ts';
import { StopSignal } from './wasm/stop-signal.ts';
import type { ExitStatus, ModuleSpec, RunningModule, StopSignal as StopName } from './contract.ts';
import type { WorkerExit, WorkerInit, WorkerMessage } from './worker-protocol.ts';

const SIGNAL_NUMBERS: Record<StopName, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
/** How long a kill waits for the guest to reach a host call (where it unwinds) before terminating the thread. */
const KILL_FALLBACK_MS = 1000;
const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class RuntimeError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function hostArch(): Arch {
  const arch = archFromNode(process.arch);
  if (!arch) throw new RuntimeError('WASMBPF_UNSUPPORTED_ARCH', `unsupported host architecture '${process.arch}'`);
  return arch;
}

/**
 * A module's host code allocates almost nothing per event (records go straight into guest memory,
 * which is not JS heap), so its worker gets a small young generation: V8's default reserves far
 * more, and one worker per module is what a pod's shim pays per module (docs/benchmarks.md). The
 * old generation cap is generous; reaching it ends the module like a crash, not the shim.
 */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 128 };

export function startModule(spec: ModuleSpec): RunningModule {
  const stderr = spec.stderr ?? 2;
  const log = installLibbpfLogRouter();
  const sink = openLogSink(stderr);
  const stop = new StopSignal();
  const ledger = new ResourceLedger();
  const init: WorkerInit = {
    wasm: spec.wasm,
    args: spec.args,
    env: spec.env ?? [],
    stdin: spec.stdin ?? 0,
    stdout: spec.stdout ?? 1,
    stderr,
    preopens: spec.preopens ?? {},
    bpfObjects: spec.bpfObjects ?? [],
    hostArch: spec.hostArch ?? hostArch(),
    policy: spec.policy ?? {},
    memoryLimit: spec.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    stop: stop.sab,
    ledger: ledger.sab,
    log,
    sink,
  };
  const worker = new Worker(WORKER_URL, { workerData: init, stdout: false, stderr: false, resourceLimits: WORKER_HEAP_LIMITS });
  let result: WorkerExit | undefined;
  let stoppedBy: StopName | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let started = false;
  let terminateWhenStarted = false;

  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'started') {
      started = true;
      if (terminateWhenStarted) void worker.terminate();
      return;
    }
    result = m;
  });
  worker.on('error', (err) => {
    result ??= { code: 1, error: `runtime error: ${err instanceof Error ? err.message : String(err)}` };
  });

  // Last resort, for a guest that makes no host call (a busy loop). Never while the worker is
  // still loading its FFI modules: terminating it inside koffi aborts the whole process.
  const terminate = () => {
    if (started) void worker.terminate();
    else terminateWhenStarted = true;
  };
  // A kill first asks nicely at the machine level: the next host import throws and the guest's
  // frames unwind on its own thread, which then frees everything itself.
  const kill = () => {
    stop.kill();
    killTimer ??= setTimeout(terminate, KILL_FALLBACK_MS).unref();
  };

  const exited = new Promise<ExitStatus>((resolve) => {
    worker.once('exit', () => {
      if (graceTimer) clearTimeout(graceTimer);
      if (killTimer) clearTimeout(killTimer);
      const leaked = ledger.reap();
      closeLogSink(sink);
      let status: ExitStatus;
      if (result && !result.killed) {
        status = { code: result.code };
        if (result.error) status.error = result.error;
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
    async [Symbol.asyncDispose]() {
      running.stop('SIGKILL');
      await exited;
    },
  };
  return running;
}
