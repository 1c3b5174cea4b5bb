// The messages between start-module.ts (controlling thread) and worker.ts.
import type { Arch } from '../oci-spec/arch.ts';
import type { LibbpfLogShared, LibbpfLogSink } from './bpf/libbpf-log.ts';
import type { BpfObjectCandidate } from './contract.ts';
import type { EbpfPolicy } from './policy.ts';

export interface WorkerInit {
  wasm: Uint8Array;
  args: string[];
  env: string[];
  stdin: number;
  stdout: number;
  stderr: number;
  preopens: Record<string, string>;
  bpfObjects: BpfObjectCandidate[];
  hostArch: Arch;
  policy: EbpfPolicy;
  /** Bytes; already defaulted by start-module.ts. */
  memoryLimit: number;
  stop: SharedArrayBuffer;
  ledger: SharedArrayBuffer;
  log: LibbpfLogShared;
  sink: LibbpfLogSink;
}

export interface WorkerExit {
  code: number;
  error?: string;
  /** Ended by a kill (SIGKILL or the grace period running out). */
  killed?: boolean;
}

export type WorkerMessage = { type: 'started' } | ({ type: 'exit' } & WorkerExit);
