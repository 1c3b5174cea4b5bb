// eBPF errors: a stable code, the errno libbpf reported, and what libbpf/the verifier said.
import { constants } from 'node:os';
import { WasmbpfError, type BpfErrorCode } from '../../errors/index.ts';

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

export class BpfError extends WasmbpfError {
  /** Positive errno, as the kernel or libbpf gave it. */
  readonly errno: number;
  readonly code: BpfErrorCode;
  /** libbpf's messages around the failure, including the verifier log when there is one. */
  readonly log: string;
  constructor(code: BpfErrorCode, message: string, errno: number, log = '', options?: { cause?: unknown }) {
    super(`${message}: ${errnoName(errno)}`, options);
    this.code = code;
    this.errno = Math.abs(errno) || 22;
    this.log = log;
  }
}
