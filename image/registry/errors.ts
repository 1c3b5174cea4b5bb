// Errors from talking to a registry. The code says what kind of failure it was (auth, not
// found, server error, unreachable, protocol), the message names the registry, repository and
// object, and carries the registry's own error code and message when it sent one.
import { WasmbpfError, type RegistryErrorCode } from '../../errors/index.ts';

/** Any failure of fetching from or pushing to a registry (not a bad setting of ours). */
export abstract class RegistryError extends WasmbpfError {
  abstract override readonly code: RegistryErrorCode;
}

export class RegistryAuthError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_AUTH';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class RegistryNotFoundError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_NOT_FOUND';
}

/** Any other non-success status (5xx, 400, 405, ...). */
export class RegistryHttpError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_HTTP';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The registry could not be reached (refused, DNS, TLS, reset). */
export class RegistryUnreachableError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_UNREACHABLE';
}

/** The registry answered something the distribution API does not allow (no Location, bad token response, ...). */
export class RegistryProtocolError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_PROTOCOL';
}

/** The registry went silent: no response, or no body bytes, within the timeout. */
export class RegistryTimeoutError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_TIMEOUT';
  constructor(message: string, readonly timeoutMs: number) {
    super(message);
  }
}

/** WASMBPF_REGISTRY_TIMEOUT holds something that is not a duration. */
export class RegistryTimeoutSettingError extends WasmbpfError {
  readonly code = 'WASMBPF_BAD_TIMEOUT';
}
