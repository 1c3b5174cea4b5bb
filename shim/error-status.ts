// The one place where an error becomes a ttrpc status. containerd maps the status code back to
// its errdefs (NotFound -> ErrNotFound, ...) and callers like ctr and the CRI plugin branch on
// those, so the mapping matters: e.g. Kill of an exited task must be NotFound for containerd to
// treat it as done. Errors of the layers below (ttrpc, image, runtime) keep their message.
import { Status, TtrpcError } from '../ttrpc/index.ts';
import { ContainerError } from '../container/errors.ts';
import type { ShimErrorKind } from './errors.ts';

export const STATUS_OF_KIND: Record<ShimErrorKind, number> = {
  'invalid-argument': Status.InvalidArgument,
  'not-found': Status.NotFound,
  'already-exists': Status.AlreadyExists,
  'failed-precondition': Status.FailedPrecondition,
  'not-supported': Status.Unimplemented,
  unavailable: Status.Unavailable,
  deadline: Status.DeadlineExceeded,
  internal: Status.Internal,
};

export function toTtrpcError(error: unknown): TtrpcError {
  if (error instanceof TtrpcError) return error; // e.g. relayed as is from the runc shim
  if (error instanceof ContainerError) return new TtrpcError(STATUS_OF_KIND[error.kind], error.message, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('WASMBPF_')) {
    // A typed error of a lower layer (image, oci-spec, runtime): the request named something unusable.
    return new TtrpcError(Status.FailedPrecondition, message, { cause: error });
  }
  return new TtrpcError(Status.Unknown, message, { cause: error });
}
