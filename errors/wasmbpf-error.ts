// The base of every wasmbpf error, after undici's UndiciError: a stable `code` callers match on
// (never the message, which may change), the class name as `name`, and the error that led to
// it as `cause`. A subclass gives its code as a field (`readonly code = 'WASMBPF_...'`) or a
// constructor parameter narrowed to its layer's codes, and keeps its own fields (a BpfError's
// errno and verifier log, a registry error's HTTP status) beside them.
import type { ErrorCode } from './codes.ts';

export abstract class WasmbpfError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

