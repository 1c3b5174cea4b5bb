// How the image commands (pull, push, sign, inspect) and the shim's signature check reach a
// reference's repository: a client with the credentials its registry needs (credentials.ts),
// and a transfer whose abort is reported as the abort, not as what the fetch was doing.
import type { ImageReference } from '../reference.ts';
import { RegistryClient } from './client.ts';
import { findCredentials, type Credentials } from './credentials.ts';

export interface ConnectOptions {
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Given on the command line; else WASMBPF_REGISTRY_AUTH, else Docker's config. */
  credentials?: Partial<Credentials>;
  /** Aborts every request of the client. */
  signal?: AbortSignal;
}

export async function connectRegistry(ref: ImageReference, options: ConnectOptions = {}): Promise<RegistryClient> {
  const credentials = await findCredentials(ref.registry, options.credentials);
  return new RegistryClient(ref.registry, ref.repository, {
    ...(options.insecure ? { insecure: true } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Runs a transfer; once `signal` has aborted it, rejects with the abort's reason (an abort surfaces as whatever the fetch or stream was doing). */
export async function reportingAbort<T>(signal: AbortSignal | undefined, transfer: () => Promise<T>): Promise<T> {
  try {
    return await transfer();
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw err;
  }
}
