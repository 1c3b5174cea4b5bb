// How a failed host import answers the guest: a negative errno in the guest's numbering
// (errno.ts), a line on the module's stderr, and the message kept for wasmbpf_v1.last_error.
// Only the host's own refusals become errnos (eBPF errors, policy refusals, bad pointers);
// anything else — a trap in a guest callback, a kill, a host bug — propagates and ends the instance.
import fs from 'node:fs';
import { BpfError } from '../../bpf/errors.ts';
import { guestErrno, LINUX_ERRNO } from '../../errno.ts';
import { PolicyError } from '../../policy.ts';
import { GuestFault } from '../guest-memory.ts';

const { EFAULT, EINVAL, EPERM } = LINUX_ERRNO;

export class ImportErrors {
  /** The message of the last failed import (wasmbpf_v1.last_error). */
  lastError = '';

  constructor(private readonly stderrFd: number) {}

  /** The guest's errno for `err`, told on stderr as a failure of `what`; rethrows what is not the host's refusal. */
  fail(what: string, err: unknown): number {
    let errno = EINVAL;
    let message: string;
    if (err instanceof BpfError) {
      errno = err.errno;
      message = err.message;
      this.lastError = err.log ? `${message}\n${err.log}` : message;
    } else if (err instanceof PolicyError) {
      errno = EPERM;
      message = err.message;
      this.lastError = message;
    } else if (err instanceof GuestFault) {
      errno = EFAULT;
      message = `bad pointer: ${err.message}`;
      this.lastError = message;
    } else {
      throw err; // a trap in a guest callback, a kill, or a host bug: end the instance
    }
    this.warn(`wasmbpf: ${what}: ${message}\n`);
    return guestErrno(errno);
  }

  /** fn's result, or its failure as fail() answers it. */
  guard(what: string, fn: () => number): number {
    try {
      return fn();
    } catch (err) {
      return this.fail(what, err);
    }
  }

  /** A failure the guest expects (no stderr line): kept for last_error, answered as its errno. */
  quiet(err: BpfError): number {
    this.lastError = err.message;
    return guestErrno(err.errno);
  }

  /** A line on the module's stderr. */
  warn(text: string): void {
    try {
      fs.writeSync(this.stderrFd, text);
    } catch {
      // stderr gone (closed FIFO): nothing to tell
    }
  }
}
