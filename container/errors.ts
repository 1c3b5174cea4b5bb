// The container layer's errors. Each carries the kind of containerd error it is (its errdefs:
// invalid argument, failed precondition, ...), which the shim turns into a ttrpc status
// (shim/error-status.ts); the shim's own errors are of the same family (shim/errors.ts).

export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'not-supported'
  | 'unavailable'
  | 'deadline'
  | 'internal';

export class ContainerError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerError';
    this.kind = kind;
    this.code = code;
  }
}

/** The container's spec or the node's config asks for something that cannot be: a bad size, an unknown key. */
export const invalidArgument = (message: string, cause?: unknown) =>
  new ContainerError('invalid-argument', 'WASMBPF_SHIM_INVALID_ARGUMENT', message, { cause });

/** The module or its image cannot be found or read: a bad image, a missing module or eBPF layer. */
export class ModuleSourceError extends ContainerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('failed-precondition', 'WASMBPF_SHIM_MODULE_SOURCE', message, options);
    this.name = 'ModuleSourceError';
  }
}

/**
 * The node's [verify] policy refused the container's image (image-verification.ts): no
 * signature by the node's keys, a signature for something else, or none could be fetched. The
 * code is the verification's own (WASMBPF_SIGNATURE_*), so the reason survives into containerd.
 */
export class ImageRefusedError extends ContainerError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super('failed-precondition', code, message, options);
    this.name = 'ImageRefusedError';
  }
}
