// Errors from talking to a registry. The code says what kind of failure it was (auth, not
// found, server error, unreachable, protocol), the message names the registry, repository and
// object, and carries the registry's own error code and message when it sent one.

export class RegistryAuthError extends Error {
  readonly code = 'WASMBPF_REGISTRY_AUTH';
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class RegistryNotFoundError extends Error {
  readonly code = 'WASMBPF_REGISTRY_NOT_FOUND';
}

/** Any other non-success status (5xx, 400, 405, ...). */
export class RegistryHttpError extends Error {
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
export class RegistryUnreachableError extends Error {
  readonly code = 'WASMBPF_REGISTRY_UNREACHABLE';
}

/** The registry answered something the distribution API does not allow (no Location, bad token response, ...). */
export class RegistryProtocolError extends Error {
  readonly code = 'WASMBPF_REGISTRY_PROTOCOL';
}

/** The registry went silent: no response, or no body bytes, within the timeout. */
export class RegistryTimeoutError extends Error {
  readonly code = 'WASMBPF_REGISTRY_TIMEOUT';
  constructor(message: string, readonly timeoutMs: number) {
    super(message);
  }
}
