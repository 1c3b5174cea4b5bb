// The benchmark's one error class: a stable code for what failed (build, a workload's run, the
// environment), a message naming it, and the cause.
export class BenchError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
  }
}
