// The one interface the layers above (cli/, shim/) use to run a module. The runtime knows
// nothing of containerd, ttrpc or images: callers resolve an image into these bytes first.
import type { Arch } from '../oci-spec/arch.ts';
import type { EbpfPolicy } from './policy.ts';

/** An eBPF object the image carries beside the module, for one architecture. */
export interface BpfObjectCandidate {
  arch: Arch;
  /** The object's name (annotation org.wasmbpf.object.name), e.g. "execsnoop.bpf.o". */
  name: string;
  bytes: Uint8Array;
}

export interface ModuleSpec {
  /** The Wasm module's bytes. */
  wasm: Uint8Array;
  /** argv as the guest sees it; argv[0] is the program name. */
  args: string[];
  /** Environment as KEY=VALUE strings. */
  env?: string[];
  /** Host file descriptors for the guest's stdio; they stay owned by the caller. Default 0/1/2. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Directories the guest may open files under: guest path -> host path. Nothing else is visible. */
  preopens?: Record<string, string>;
  /** Objects from the image; the one for hostArch replaces an embedded object with the same programs and maps. */
  bpfObjects?: BpfObjectCandidate[];
  /** Defaults to the running machine's architecture. */
  hostArch?: Arch;
  /** The module's eBPF policy (program types, attach targets, map types); absent lists allow everything. */
  policy?: EbpfPolicy;
  /**
   * The cap on the module's linear memory in bytes (rounded down to 64 KiB pages); past it
   * memory.grow fails (malloc returns NULL). Default DEFAULT_MEMORY_LIMIT, 256 MiB
   * (runtime/wasm/memory-limit.ts). A module whose initial memory is larger does not start.
   */
  memoryLimit?: number;
  /** How long a graceful stop waits for the guest's own loop to end before terminating it. Default 3000 ms. */
  gracePeriodMs?: number;
  /** Told each start-up milestone as it is reached, with its wall-clock time in ms (for `wasmbpf run --debug`). */
  onPhase?: (phase: ModulePhase, atMs: number) => void;
}

/**
 * Start-up milestones of a module, in order: its worker has loaded the runtime (at once for a
 * warm one), the module is compiled (at once from the cache), instantiated, its first eBPF object
 * loaded (the verifier passed), its first program attached.
 */
export type ModulePhase = 'worker-ready' | 'compiled' | 'instantiated' | 'bpf-loaded' | 'attached';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';

export interface ExitStatus {
  /** The guest's exit code (proc_exit or main's return); 128+n when ended by signal n, like a shell. */
  code: number;
  /** Set when the module was stopped by stop(). */
  signal?: StopSignal;
  /** Set when the module trapped or failed to start: what happened, for a log or stderr. */
  error?: string;
  /**
   * The module ran out of memory: it trapped at its linear memory limit, or its worker's V8 heap
   * was exhausted. Ended like a process the OOM killer took: code 137.
   */
  outOfMemory?: boolean;
}

/** What a running module costs, for metrics: its own thread and memory, not the whole process's. */
export interface ModuleUsage {
  /** CPU time of the module's thread, in nanoseconds (clock-tick resolution). */
  cpuUserNs: number;
  cpuSystemNs: number;
  /** The guest's linear memory, as the host last saw it. */
  wasmMemoryBytes: number;
  /** The worker's V8 heap in use, and its limit. */
  heapUsedBytes: number;
  heapLimitBytes: number;
}

export interface RunningModule {
  /** The worker thread's id, for logs. */
  readonly threadId: number;
  /** Resolves once the guest has ended and every eBPF object, link and buffer of it is closed. */
  readonly exited: Promise<ExitStatus>;
  /** SIGINT/SIGTERM: the guest's blocking calls return -EINTR; terminated after the grace period. SIGKILL: at once. Idempotent. */
  stop(signal: StopSignal): void;
  /** The module's thread CPU and memory now; zeros once it has ended. */
  usage(): Promise<ModuleUsage>;
  /** stop('SIGKILL') and wait for exited. */
  [Symbol.asyncDispose](): Promise<void>;
}
