// The messages between the controlling thread (start-module.ts, worker-pool.ts) and worker.ts.
//
// A worker is started ahead of its module (worker-pool.ts keeps one warm): it loads the runtime,
// koffi and the libbpf declarations, says 'ready', and waits for one 'run'. It runs exactly one
// module and ends with it: a module's thread is never reused, so nothing of one guest (its
// memory, koffi callbacks, libbpf state) can reach the next.
import type { Arch } from '../oci-spec/arch.ts';
import type { LibbpfLogShared, LibbpfLogSink } from './bpf/libbpf-log.ts';
import type { BpfObjectCandidate, ModulePhase } from './contract.ts';
import type { EbpfPolicy } from './policy.ts';
import type { StatsMeta } from './module-stats.ts';

export interface WorkerInit {
  /** Compiled by the controlling thread (module-cache.ts), its memory already capped. */
  module: WebAssembly.Module;
  args: string[];
  env: string[];
  stdin: number;
  stdout: number;
  stderr: number;
  preopens: Record<string, string>;
  bpfObjects: BpfObjectCandidate[];
  hostArch: Arch;
  policy: EbpfPolicy;
  /** Bytes; already defaulted by start-module.ts (for the trap message near the cap). */
  memoryLimit: number;
  stop: SharedArrayBuffer;
  ledger: SharedArrayBuffer;
  /** WorkerStats slots, written by the worker and read by the controller at any time. */
  stats: SharedArrayBuffer;
  /** module-stats.ts slots: host calls, records, program figures at close. */
  counters: SharedArrayBuffer;
  log: LibbpfLogShared;
  sink: LibbpfLogSink;
  /** Post a 'phase' message at each start-up milestone (wasmbpf run --debug). */
  tracePhases: boolean;
  /** Where netlink tc filters are recorded (bpf/tc-journal.ts); ModuleSpec.tcJournal. */
  tcJournal?: string;
}

/** Float64 slots of WorkerInit.stats. */
export const enum WorkerStat {
  /** The worker's kernel thread id (for /proc/self/task/TID), 0 until it runs. */
  TID = 0,
  /** Bytes of the guest's linear memory, updated when the host sees it grow. */
  WASM_MEMORY = 1,
  COUNT = 2,
}

export interface WorkerExit {
  code: number;
  error?: string;
  /** Ended by a kill (SIGKILL or the grace period running out). */
  killed?: boolean;
  /** The guest trapped at its memory limit: what a cgroup's OOM kill is to a process. */
  outOfMemory?: boolean;
}

export type ControllerMessage = { type: 'run'; init: WorkerInit };

export type WorkerMessage =
  | { type: 'ready' }
  /** at: wall-clock milliseconds (performance.timeOrigin + performance.now()), comparable across threads. */
  | { type: 'phase'; phase: ModulePhase; at: number }
  /** Facts for the module's stats, each told once (module-stats.ts). */
  | { type: 'stats-meta'; meta: StatsMeta }
  | ({ type: 'exit' } & WorkerExit);
