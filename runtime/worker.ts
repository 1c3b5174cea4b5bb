// The worker thread that runs one module: instantiate the compiled module with WASI and the eBPF
// host ABI, run _start, then close every eBPF object it left open and report the exit. It loads
// its code (koffi, the libbpf declarations, the host) before it is given a module and says
// 'ready', so a warm worker (worker-pool.ts) starts a module without that cost. Everything here
// runs on the worker's own thread; the controlling thread talks to it only through the shared
// stop word, the stats slots and the messages of worker-protocol.ts.
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { LibbpfLogClient } from './bpf/libbpf-log.ts';
import { ResourceLedger } from './bpf/resource-ledger.ts';
import { setTcJournal } from './bpf/tc-journal.ts';
import { ObjectSelector } from './object-selector.ts';
import { StatsRecorder } from './module-stats.ts';
import { formatSize, WASM32_MAX_BYTES, WASM_PAGE } from './wasm/memory-limit.ts';
import { GuestWasi } from './wasm/wasi.ts';
import { GuestKilled, StopSignal } from './wasm/stop-signal.ts';
import { WasmBpfHost } from './wasm/wasm-bpf-host.ts';
import { WorkerStat, type ControllerMessage, type WorkerInit, type WorkerExit, type WorkerMessage } from './worker-protocol.ts';
import type { ModulePhase } from './contract.ts';

/** Exit code for a guest trap: like a process that aborted (128 + SIGABRT). */
const TRAP_EXIT_CODE = 134;
/** Killed (SIGKILL, a stop whose grace period ran out, or out of memory): 128 + SIGKILL. */
const KILLED_EXIT_CODE = 137;

const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const now = () => performance.timeOrigin + performance.now();

/** This thread's kernel thread id: /proc/thread-self links to "PID/task/TID". */
function threadId(): number {
  try {
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}

/**
 * A trap with the memory (nearly) at its cap: most likely an allocation that failed there and a
 * guest that aborted on it. memory.grow cannot be watched, so "near" (within an eighth of the
 * cap, or one page) is the sign.
 */
function atMemoryCap(memory: WebAssembly.Memory | undefined, limit: number): boolean {
  const cap = Math.floor(Math.min(limit, WASM32_MAX_BYTES) / WASM_PAGE) * WASM_PAGE;
  const used = memory?.buffer.byteLength ?? 0;
  return cap - used < Math.max(cap / 8, WASM_PAGE);
}

function describe(err: unknown, memory: WebAssembly.Memory | undefined, limit: number): string {
  if (err instanceof WebAssembly.RuntimeError) {
    const near = atMemoryCap(memory, limit);
    const used = memory?.buffer.byteLength ?? 0;
    return `wasm trap: ${err.message}${near ? ` (the module's memory is ${formatSize(used)} of its ${formatSize(limit)} limit: an allocation that failed there may be the cause)` : ''}`;
  }
  if (err instanceof WebAssembly.LinkError) return `cannot link the module: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function run(init: WorkerInit): Promise<WorkerExit> {
  const stats = new Float64Array(init.stats);
  stats[WorkerStat.TID] = threadId();
  const reported = new Set<ModulePhase>();
  const phase = (p: ModulePhase) => {
    if (!init.tracePhases || reported.has(p)) return;
    reported.add(p);
    post({ type: 'phase', phase: p, at: now() });
  };
  setTcJournal(init.tcJournal);
  const stop = new StopSignal(init.stop);
  const ledger = new ResourceLedger(init.ledger);
  const log = new LibbpfLogClient(init.log, init.sink);
  const host = new WasmBpfHost({
    stderrFd: init.stderr,
    runLogged: (fn) => log.run(fn),
    ledger,
    stop,
    selector: new ObjectSelector(init.hostArch, init.bpfObjects),
    policy: init.policy,
    onMilestone: phase,
    onMemorySize: (bytes) => (stats[WorkerStat.WASM_MEMORY] = bytes),
    stats: new StatsRecorder(init.counters, (meta) => post({ type: 'stats-meta', meta })),
  });
  const wasi = new GuestWasi({
    args: init.args, env: init.env, stdin: init.stdin, stdout: init.stdout, stderr: init.stderr,
    preopens: init.preopens, stop,
  });
  let running = false;
  let memory: WebAssembly.Memory | undefined;
  try {
    const instance = await WebAssembly.instantiate(init.module, { wasi_snapshot_preview1: wasi.imports(), ...host.imports() });
    host.bind(instance);
    if (instance.exports.memory instanceof WebAssembly.Memory) memory = instance.exports.memory;
    phase('instantiated');
    running = true;
    return { code: wasi.start(instance) };
  } catch (err) {
    if (err instanceof GuestKilled && err.deaf) {
      // Why it ended before its grace period: the guest's own stderr says so, not only the status.
      try {
        fs.writeSync(init.stderr, `wasmbpf: ${err.message}\n`);
      } catch {
        // stderr gone
      }
    }
    if (err instanceof GuestKilled || stop.killing) return { code: KILLED_EXIT_CODE, killed: true };
    if (running && err instanceof WebAssembly.RuntimeError && atMemoryCap(memory, init.memoryLimit)) {
      return { code: KILLED_EXIT_CODE, outOfMemory: true, error: describe(err, memory, init.memoryLimit) };
    }
    return { code: running ? TRAP_EXIT_CODE : 1, error: describe(err, memory, init.memoryLimit) };
  } finally {
    host.close();
  }
}

// Loaded: from here on the worker may be terminated as a last resort (terminating it inside
// koffi's initialisation would abort the process), and it can take its module.
parentPort!.once('message', (message: ControllerMessage) => {
  void run(message.init).then((result) => post({ type: 'exit', ...result }));
});
post({ type: 'ready' });
