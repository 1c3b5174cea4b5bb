// eBPF errors: a stable code, the errno libbpf reported, and what libbpf/the verifier said.
import { WasmbpfError, type BpfErrorCode } from '../../errors/index.ts';
import { errnoName, LINUX_ERRNO } from '../errno.ts';

export class BpfError extends WasmbpfError {
  /** Positive errno, as the kernel or libbpf gave it. */
  readonly errno: number;
  readonly code: BpfErrorCode;
  /** libbpf's messages around the failure, including the verifier log when there is one. */
  readonly log: string;
  constructor(code: BpfErrorCode, message: string, errno: number, log = '', options?: { cause?: unknown }) {
    super(`${message}: ${errnoName(errno)}`, options);
    this.code = code;
    this.errno = Math.abs(errno) || LINUX_ERRNO.EINVAL;
    this.log = log;
  }
}
