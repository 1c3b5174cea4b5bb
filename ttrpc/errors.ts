// Errors of the ttrpc layer. A TtrpcError carries a gRPC status code (what crosses the wire in
// google.rpc.Status) besides the stable string `code` every wasmbpf error has. Handlers throw
// TtrpcError to choose the status; anything else becomes Unknown with its message.
import { WasmbpfError } from '../errors/index.ts';

/** google.rpc.Code, the status codes ttrpc and gRPC share. */
export const Status = {
  OK: 0,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

const NAMES = new Map<number, string>(Object.entries(Status).map(([name, value]) => [value, name]));

export function statusName(code: number): string {
  return NAMES.get(code) ?? `Code(${code})`;
}

/** A call ended with a non-OK status, on either side of the connection. */
export class TtrpcError extends WasmbpfError {
  readonly code = 'WASMBPF_TTRPC_STATUS';
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** The peer broke the wire format (bad frame, undecodable message). The connection is closed. */
export class TtrpcProtocolError extends WasmbpfError {
  readonly code = 'WASMBPF_TTRPC_PROTOCOL';
}

/** The connection closed (or could not open) before the call got its response. */
export class TtrpcConnectionError extends WasmbpfError {
  readonly code = 'WASMBPF_TTRPC_CONNECTION';
}

/** No response within the call's timeout. */
export class TtrpcTimeoutError extends WasmbpfError {
  readonly code = 'WASMBPF_TTRPC_TIMEOUT';
  readonly status = Status.DeadlineExceeded;
}
