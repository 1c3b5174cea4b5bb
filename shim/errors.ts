// The shim's errors. Each kind says what went wrong in containerd's terms (its errdefs: not
// found, already exists, failed precondition, ...); error-status.ts maps them to ttrpc status
// codes in one place, which is how containerd turns them back into errdefs on its side.

export type ShimErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'not-supported'
  | 'unavailable'
  | 'deadline'
  | 'internal';

export class ShimError extends Error {
  readonly code: string;
  readonly kind: ShimErrorKind;

  constructor(kind: ShimErrorKind, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShimError';
    this.kind = kind;
    this.code = code;
  }
}

export const notFound = (what: string) => new ShimError('not-found', 'WASMBPF_SHIM_NOT_FOUND', `${what}: not found`);

export const notSupported = (what: string) =>
  new ShimError('not-supported', 'WASMBPF_SHIM_NOT_SUPPORTED', `${what} is not supported by the wasmbpf runtime`);

export const invalidArgument = (message: string, cause?: unknown) =>
  new ShimError('invalid-argument', 'WASMBPF_SHIM_INVALID_ARGUMENT', message, { cause });

/** The module or its image cannot be found or read: a bad image, a missing module or eBPF layer. */
export class ModuleSourceError extends ShimError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('failed-precondition', 'WASMBPF_SHIM_MODULE_SOURCE', message, options);
    this.name = 'ModuleSourceError';
  }
}

/** A task was asked to do what its state forbids (start twice, delete while running...). */
export class IllegalTransitionError extends ShimError {
  constructor(readonly id: string, readonly from: string, readonly action: string) {
    super('failed-precondition', 'WASMBPF_SHIM_ILLEGAL_TRANSITION', `task ${id}: cannot ${action} a task that is ${from}`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * The node's [verify] policy refused the container's image (shim/image-verification.ts): no
 * signature by the node's keys, a signature for something else, or none could be fetched. The
 * code is the verification's own (WASMBPF_SIGNATURE_*), so the reason survives into containerd.
 */
export class ImageRefusedError extends ShimError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super('failed-precondition', code, message, options);
    this.name = 'ImageRefusedError';
  }
}
