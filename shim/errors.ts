// The shim's errors. Each code says what went wrong in containerd's terms (its errdefs: not
// found, already exists, failed precondition, ...); error-status.ts maps codes to ttrpc status
// codes in one table, which is how containerd turns them back into errdefs on its side. The
// container layer's errors (container/errors.ts) are the base of this family.
import { ContainerError } from '../container/errors.ts';

/** An error of the shim itself (a task lookup, the runc shim, a mount), rather than of the container it runs. */
export class ShimError extends ContainerError {}

export const notFound = (what: string) => new ShimError('WASMBPF_SHIM_NOT_FOUND', `${what}: not found`);

export const notSupported = (what: string) =>
  new ShimError('WASMBPF_SHIM_NOT_SUPPORTED', `${what} is not supported by the wasmbpf runtime`);

export const invalidArgument = (message: string, cause?: unknown) =>
  new ShimError('WASMBPF_SHIM_INVALID_ARGUMENT', message, { cause });

/** A task was asked to do what its state forbids (start twice, delete while running...). */
export class IllegalTransitionError extends ShimError {
  constructor(readonly id: string, readonly from: string, readonly action: string) {
    super('WASMBPF_SHIM_ILLEGAL_TRANSITION', `task ${id}: cannot ${action} a task that is ${from}`);
  }
}
