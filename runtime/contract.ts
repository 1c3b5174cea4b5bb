// The one interface the layers above (cli/, shim/) use to run a module. The runtime knows
// nothing of containerd, ttrpc or images: callers resolve an image into these bytes first.
import type { Arch } from '../oci-spec/arch.ts';
import type { EventBufferKind } from './bpf/event-buffer.ts';
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
  /**
   * Turn the kernel's BPF run-time stats on while this module runs (runtime/bpf/bpf-stats.ts), so
   * stats() reports its programs' run count and time. They are system-wide while on and cost
   * every bpf() call on the node too (measured on Linux 6.18: a map lookup syscall 284 -> 320+ ns),
   * hence a switch of its own. The host's own counters (records, host calls) are kept whatever
   * this says. Default false.
   */
  kernelStats?: boolean;
  /** Told each start-up milestone as it is reached, with its wall-clock time in ms (for `wasmbpf run --debug`). */
  onPhase?: (phase: ModulePhase, atMs: number) => void;
  /**
   * A directory where tc filters attached through netlink (no tcx in the kernel) are recorded
   * while attached (bpf/tc-journal.ts), so a cleanup after this process was killed can remove
   * them; the shim gives each task one in its bundle. Removed when the module has ended.
   */
  tcJournal?: string;
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

/** A ring buffer's or perf buffer's records as the host delivered them to the guest. */
export interface BufferStats {
  /** The map's name in its eBPF object. */
  map: string;
  kind: EventBufferKind;
  /** Records handed to the guest's callback. */
  delivered: number;
  /**
   * Records the kernel dropped because the buffer was full (perf buffers: the kernel's
   * PERF_RECORD_LOST counts). Absent for ring buffers: their drops are a failed
   * bpf_ringbuf_reserve that only the eBPF program sees.
   */
  lost?: number;
}

/** One eBPF program of the module, as the kernel reports it. */
export interface ProgramStats {
  /** The kernel's name (cut at 15 bytes) and id. */
  name: string;
  id: number;
  /** Runs and nanoseconds spent in it, counted only while BPF stats are on (ModuleStats.kernelStats). */
  runCount: number;
  runTimeNs: number;
  /** Instructions the verifier processed to load it (0 before Linux 5.16). */
  verifiedInsns: number;
}

/** One map of the module's eBPF objects. */
export interface MapStats {
  name: string;
  id: number;
  /** The kernel's map type number (enum bpf_map_type). */
  type: number;
  /** The memory the kernel charges for it (its fdinfo memlock). */
  memoryBytes: number;
}

/** What a module did through the host, and what its eBPF side costs the kernel. */
export interface ModuleStats {
  /** eBPF host imports called, by kind (map_operate, buffer_poll, attach, ...). */
  hostCalls: Record<string, number>;
  buffers: BufferStats[];
  programs: ProgramStats[];
  maps: MapStats[];
  /** The kernel was counting program run time for this module (ModuleSpec.kernelStats, and it allowed it). */
  kernelStats: boolean;
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
  /** Records, host calls and the kernel's figures for its programs and maps; after the end, the last ones. */
  stats(): ModuleStats;
  /** stop('SIGKILL') and wait for exited. */
  [Symbol.asyncDispose](): Promise<void>;
}
