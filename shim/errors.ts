// The shim's errors. Each kind says what went wrong in containerd's terms (its errdefs: not
// found, already exists, failed precondition, ...); error-status.ts maps them to ttrpc status
// codes in one place, which is how containerd turns them back into errdefs on its side. The
// container layer's errors (container/errors.ts) are the base of this family.
import { ContainerError, type ErrorKind } from '../container/errors.ts';

export type ShimErrorKind = ErrorKind;

export class ShimError extends ContainerError {
  constructor(kind: ShimErrorKind, code: string, message: string, options?: { cause?: unknown }) {
    super(kind, code, message, options);
    this.name = 'ShimError';
  }
}

export const notFound = (what: string) => new ShimError('not-found', 'WASMBPF_SHIM_NOT_FOUND', `${what}: not found`);

export const notSupported = (what: string) =>
  new ShimError('not-supported', 'WASMBPF_SHIM_NOT_SUPPORTED', `${what} is not supported by the wasmbpf runtime`);

export const invalidArgument = (message: string, cause?: unknown) =>
  new ShimError('invalid-argument', 'WASMBPF_SHIM_INVALID_ARGUMENT', message, { cause });

/** A task was asked to do what its state forbids (start twice, delete while running...). */
export class IllegalTransitionError extends ShimError {
  constructor(readonly id: string, readonly from: string, readonly action: string) {
    super('failed-precondition', 'WASMBPF_SHIM_ILLEGAL_TRANSITION', `task ${id}: cannot ${action} a task that is ${from}`);
    this.name = 'IllegalTransitionError';
  }
}
