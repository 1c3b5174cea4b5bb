// The container layer's errors, in containerd's terms (its errdefs: invalid argument, failed
// precondition, ...). Their codes are the shim's (WASMBPF_SHIM_*: this layer was part of the
// shim), which turns each code into a ttrpc status (shim/error-status.ts); the shim's own errors
// are of the same family (shim/errors.ts).
import { WasmbpfError, type ShimErrorCode, type SignatureRefusalCode } from '../errors/index.ts';

export class ContainerError extends WasmbpfError {
  constructor(readonly code: ShimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The container's spec or the node's config asks for something that cannot be: a bad size, an unknown key. */
export const invalidArgument = (message: string, cause?: unknown) =>
  new ContainerError('WASMBPF_SHIM_INVALID_ARGUMENT', message, { cause });

/** The module or its image cannot be found or read: a bad image, a missing module or eBPF layer. */
export class ModuleSourceError extends ContainerError {
  constructor(message: string, options?: ErrorOptions) {
    super('WASMBPF_SHIM_MODULE_SOURCE', message, options);
  }
}

/**
 * The node's [verify] policy refused the container's image (image-verification.ts): no
 * signature by the node's keys, a signature for something else, or none could be fetched. The
 * code is the verification's own (WASMBPF_SIGNATURE_*), so the reason survives into containerd.
 */
export class ImageRefusedError extends WasmbpfError {
  constructor(readonly code: SignatureRefusalCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
