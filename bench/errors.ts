// The benchmark's one error class: a stable code for what failed (build, a workload's run, the
// environment), a message naming it, and the cause.
import { WasmbpfError, type BenchErrorCode } from '../errors/index.ts';

export class BenchError extends WasmbpfError {
  constructor(readonly code: BenchErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
