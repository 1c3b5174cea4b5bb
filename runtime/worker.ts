// The worker thread that runs one module: compile, instantiate with WASI and the eBPF host ABI,
// run _start, then close every eBPF object it left open and report the exit. Everything here
// runs on the worker's own thread; the controlling thread talks to it only through the shared
// stop word and the final message (start-module.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { LibbpfLogClient } from './bpf/libbpf-log.ts';
import { ResourceLedger } from './bpf/resource-ledger.ts';
import { ObjectSelector } from './object-selector.ts';
import { capModuleMemory, formatSize, MemoryLimitError, WASM32_MAX_BYTES, WASM_PAGE } from './wasm/memory-limit.ts';
import { GuestWasi } from './wasm/wasi.ts';
import { GuestKilled, StopSignal } from './wasm/stop-signal.ts';
import { WasmBpfHost } from './wasm/wasm-bpf-host.ts';
import type { WorkerInit, WorkerExit } from './worker-protocol.ts';

/** Exit code for a guest trap: like a process that aborted (128 + SIGABRT). */
const TRAP_EXIT_CODE = 134;
/** Killed (SIGKILL, or a stop whose grace period ran out): 128 + SIGKILL. */
const KILLED_EXIT_CODE = 137;

function describe(err: unknown, memory: WebAssembly.Memory | undefined, limit: number): string {
  if (err instanceof WebAssembly.RuntimeError) {
    // A guest whose malloc failed at the cap usually aborts: say so, or the trap looks like a
    // bug. memory.grow cannot be watched, so "near the cap" (within an eighth) is the sign.
    const cap = Math.floor(Math.min(limit, WASM32_MAX_BYTES) / WASM_PAGE) * WASM_PAGE;
    const used = memory?.buffer.byteLength ?? 0;
    const near = cap - used < Math.max(cap / 8, WASM_PAGE);
    return `wasm trap: ${err.message}${near ? ` (the module's memory is ${formatSize(used)} of its ${formatSize(limit)} limit: an allocation that failed there may be the cause)` : ''}`;
  }
  if (err instanceof MemoryLimitError) return `${err.message} (${err.code})`;
  if (err instanceof WebAssembly.CompileError) return `invalid Wasm module: ${err.message}`;
  if (err instanceof WebAssembly.LinkError) return `cannot link the module: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

async function run(init: WorkerInit): Promise<WorkerExit> {
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
  });
  const wasi = new GuestWasi({
    args: init.args, env: init.env, stdin: init.stdin, stdout: init.stdout, stderr: init.stderr,
    preopens: init.preopens, stop,
  });
  let phase = 'compile';
  let memory: WebAssembly.Memory | undefined;
  try {
    const capped = capModuleMemory(init.wasm, init.memoryLimit);
    const module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
    phase = 'instantiate';
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.imports(), ...host.imports() });
    host.bind(instance);
    if (instance.exports.memory instanceof WebAssembly.Memory) memory = instance.exports.memory;
    phase = 'run';
    return { code: wasi.start(instance) };
  } catch (err) {
    if (err instanceof GuestKilled || stop.killing) return { code: KILLED_EXIT_CODE, killed: true };
    return { code: phase === 'run' ? TRAP_EXIT_CODE : 1, error: describe(err, memory, init.memoryLimit) };
  } finally {
    host.close();
  }
}

// Tell the controller the FFI modules are loaded: from here on the worker may be terminated as a
// last resort; before, terminating it inside koffi's initialisation would abort the process.
parentPort!.postMessage({ type: 'started' });
const result = await run(workerData as WorkerInit);
parentPort!.postMessage({ type: 'exit', ...result });
