// A client for one repository of a registry, over the OCI distribution API with the global
// fetch. It owns the auth dance: a request without credentials that gets 401 reads the
// challenge; "Basic" is answered with the user's credentials, "Bearer" by fetching a token from
// the realm (with the credentials, when there are any) for the repository's pull or push scope,
// and the request is sent once more. Tokens are cached per scope for the client's lifetime.
//
// Plain HTTP is used for loopback registries and with `insecure`; everything else is HTTPS.
// Every response status is mapped to one error class here, so callers see registry failures
// only as RegistryAuthError / RegistryNotFoundError / RegistryHttpError / RegistryUnreachableError.
import { MANIFEST_ACCEPT, type Descriptor } from '../../oci-spec/index.ts';
import { isLoopbackRegistry, registryApiHost } from '../reference.ts';
import { parseChallenges } from './challenge.ts';
import type { Credentials } from './credentials.ts';
import { RegistryAuthError, RegistryHttpError, RegistryNotFoundError, RegistryProtocolError, RegistryUnreachableError } from './errors.ts';
import { registryTimeoutMs, SilenceTimer } from './timeout.ts';

export interface RegistryClientOptions {
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  credentials?: Credentials;
  /** Aborts every request of this client (and the body of a blob being read). */
  signal?: AbortSignal;
  /** How long a request may go without a response or body bytes (registry/timeout.ts); default WASMBPF_REGISTRY_TIMEOUT or 30 s. */
  timeoutMs?: number;
}

type Action = 'pull' | 'pull,push';

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  action: Action;
  /** What the request is about, for messages: "manifest v1", "blob sha256:...". */
  what: string;
  /** Statuses that are success for this call. */
  ok: number[];
}

export interface FetchedManifest {
  bytes: Uint8Array;
  /** The Content-Type the registry served it with. */
  mediaType: string;
  /** The Docker-Content-Digest header, when sent. */
  digest?: string;
}

const USER_AGENT = 'wasmbpf/0.1';

export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  readonly base: string;
  readonly #credentials: Credentials | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #timeoutMs: number;
  readonly #tokens = new Map<Action, string>();

  constructor(registry: string, repository: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.repository = repository;
    const scheme = options.insecure || isLoopbackRegistry(registry) ? 'http' : 'https';
    this.base = `${scheme}://${registryApiHost(registry)}`;
    this.#credentials = options.credentials;
    this.#signal = options.signal;
    this.#timeoutMs = options.timeoutMs ?? registryTimeoutMs();
  }

  get #where(): string {
    return `${this.registry}/${this.repository}`;
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.#send(`/v2/${this.repository}/manifests/${reference}`, {
      headers: { Accept: MANIFEST_ACCEPT.join(', ') },
      action: 'pull',
      what: `manifest ${reference}`,
      ok: [200],
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const digest = res.headers.get('docker-content-digest') ?? undefined;
    return { bytes, mediaType, ...(digest ? { digest } : {}) };
  }

  async putManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<string | undefined> {
    const res = await this.#send(`/v2/${this.repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body: bytes,
      action: 'pull,push',
      what: `manifest ${reference}`,
      ok: [200, 201],
    });
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  /** True when the repository has the blob (HEAD; the check push makes before uploading). */
  async hasBlob(descriptor: Descriptor, action: Action = 'pull'): Promise<boolean> {
    try {
      const res = await this.#send(`/v2/${this.repository}/blobs/${descriptor.digest}`, {
        method: 'HEAD',
        action,
        what: `blob ${descriptor.digest}`,
        ok: [200],
      });
      const length = res.headers.get('content-length');
      return length === null || Number(length) === descriptor.size;
    } catch (err) {
      if (err instanceof RegistryNotFoundError) return false;
      throw err;
    }
  }

  /** The blob's body as a stream of chunks; the caller verifies it (DigestVerifier). */
  async getBlob(descriptor: Descriptor, what = `blob ${descriptor.digest}`): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.#send(`/v2/${this.repository}/blobs/${descriptor.digest}`, { action: 'pull', what, ok: [200] });
    if (!res.body) throw new RegistryProtocolError(`${this.#where}: ${what} came without a body`);
    return res.body as AsyncIterable<Uint8Array>;
  }

  /**
   * Uploads a blob: in one PUT when it fits in `chunkSize`, else as PATCHed chunks and a final
   * PUT. `read(offset, length)` supplies the bytes of each request (re-readable for an auth retry).
   */
  async pushBlob(
    descriptor: Descriptor,
    read: (offset: number, length: number) => Promise<Uint8Array>,
    options: { chunkSize: number; onBytes?: (done: number) => void },
  ): Promise<void> {
    const what = `blob ${descriptor.digest}`;
    const start = await this.#send(`/v2/${this.repository}/blobs/uploads/`, { method: 'POST', action: 'pull,push', what: `upload of ${what}`, ok: [202] });
    await start.body?.cancel();
    let location = this.#location(start, what);
    if (descriptor.size <= options.chunkSize) {
      const bytes = await read(0, descriptor.size);
      await this.#finishUpload(location, descriptor, bytes, what);
      options.onBytes?.(descriptor.size);
      return;
    }
    for (let offset = 0; offset < descriptor.size; offset += options.chunkSize) {
      const chunk = await read(offset, Math.min(options.chunkSize, descriptor.size - offset));
      const res = await this.#send(location, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        action: 'pull,push',
        what: `chunk at ${offset} of ${what}`,
        ok: [202],
      });
      await res.body?.cancel();
      location = this.#location(res, what);
      options.onBytes?.(offset + chunk.length);
    }
    await this.#finishUpload(location, descriptor, new Uint8Array(0), what);
  }

  async #finishUpload(location: string, descriptor: Descriptor, body: Uint8Array, what: string): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', descriptor.digest);
    const res = await this.#send(url.href, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      action: 'pull,push',
      what,
      ok: [201, 204],
    });
    await res.body?.cancel();
  }

  #location(res: Response, what: string): string {
    const location = res.headers.get('location');
    if (!location) throw new RegistryProtocolError(`${this.#where}: the upload of ${what} got no Location header`);
    return new URL(location, this.base).href;
  }

  async #send(pathOrUrl: string, opts: SendOptions): Promise<Response> {
    const url = pathOrUrl.startsWith('/') ? `${this.base}${pathOrUrl}` : pathOrUrl;
    let res = await this.#fetch(url, opts, this.#authorization(opts.action));
    if (res.status === 401) {
      const authorization = await this.#answerChallenge(res, opts);
      await res.body?.cancel();
      res = await this.#fetch(url, opts, authorization);
      if (res.status === 401 || res.status === 403) {
        throw new RegistryAuthError(
          `${this.#where}: ${opts.what}: the registry rejected ${this.#credentials ? `the credentials of ${this.#credentials.username}` : 'anonymous access'} (HTTP ${res.status}${await errorDetail(res)})`,
          res.status,
        );
      }
    }
    if (opts.ok.includes(res.status)) return res;
    const detail = await errorDetail(res);
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthError(`${this.#where}: ${opts.what}: access denied (HTTP ${res.status}${detail})`, res.status);
    }
    if (res.status === 404) throw new RegistryNotFoundError(`${this.#where}: ${opts.what} not found (HTTP 404${detail})`);
    throw new RegistryHttpError(`${this.#where}: ${opts.what}: the registry answered HTTP ${res.status} ${res.statusText}${detail}`, res.status);
  }

  async #fetch(url: string, opts: SendOptions, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...opts.headers };
    if (authorization) headers.Authorization = authorization;
    const origin = new URL(url).origin;
    const timer = this.#silenceTimer(`${this.#where}: ${opts.what}: the registry ${this.registry} at ${origin}`);
    try {
      return timer.watch(await fetch(url, {
        method: opts.method ?? 'GET',
        headers,
        ...(opts.body ? { body: opts.body as Uint8Array<ArrayBuffer> } : {}),
        signal: timer.signal,
        redirect: 'follow',
      }));
    } catch (cause) {
      timer.done();
      if (this.#signal?.aborted) throw this.#signal.reason;
      if (timer.timedOut) throw timer.timedOut;
      const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
      const detail = reason?.code ?? reason?.message ?? (cause as Error).message;
      // A TLS handshake with a plain-HTTP server fails with an SSL error: say what to do.
      let hint = url.startsWith('https:') && /SSL|TLS|wrong version/i.test(`${detail} ${reason?.message ?? ''}`) ? ' (a plain-HTTP registry? pass --insecure)' : '';
      // A reference without a registry host means Docker Hub, which surprises people pushing to
      // a local registry: say how to name one.
      if (!hint && this.registry === 'docker.io') hint = ' (a reference without a registry host means docker.io; name yours, e.g. localhost:5000/NAME:TAG)';
      throw new RegistryUnreachableError(`cannot reach the registry ${this.registry} at ${new URL(url).origin}: ${detail}${hint}`, { cause });
    }
  }

  #silenceTimer(who: string): SilenceTimer {
    return new SilenceTimer(this.#timeoutMs, (waitingFor) => `${who} sent no ${waitingFor}`, this.#signal);
  }

  #authorization(action: Action): string | undefined {
    const token = this.#tokens.get(action) ?? (action === 'pull' ? this.#tokens.get('pull,push') : undefined);
    return token;
  }

  async #answerChallenge(res: Response, opts: SendOptions): Promise<string> {
    const header = res.headers.get('www-authenticate') ?? '';
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      const token = await this.#fetchToken(bearer.params, opts);
      const value = `Bearer ${token}`;
      this.#tokens.set(opts.action, value);
      return value;
    }
    if (basic) {
      if (!this.#credentials) {
        throw new RegistryAuthError(
          `${this.#where}: ${opts.what}: the registry requires a login (HTTP 401); pass --username/--password or set WASMBPF_REGISTRY_AUTH`,
          401,
        );
      }
      const value = `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
      this.#tokens.set('pull', value);
      this.#tokens.set('pull,push', value);
      return value;
    }
    throw new RegistryAuthError(`${this.#where}: ${opts.what}: HTTP 401 with no usable challenge (WWW-Authenticate: ${JSON.stringify(header)})`, 401);
  }

  async #fetchToken(params: Record<string, string>, opts: SendOptions): Promise<string> {
    if (!params.realm) throw new RegistryProtocolError(`${this.#where}: the Bearer challenge has no realm`);
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch (cause) {
      throw new RegistryProtocolError(`${this.#where}: the Bearer realm ${JSON.stringify(params.realm)} is not a URL`, { cause });
    }
    if (params.service) realm.searchParams.set('service', params.service);
    // Ask for what this request needs; a challenge scope for another action is not enough for a push.
    realm.searchParams.append('scope', `repository:${this.repository}:${opts.action}`);
    if (params.scope && params.scope !== `repository:${this.repository}:${opts.action}`) realm.searchParams.append('scope', params.scope);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    if (this.#credentials) {
      headers.Authorization = `Basic ${Buffer.from(`${this.#credentials.username}:${this.#credentials.password}`).toString('base64')}`;
    }
    let res: Response;
    const timer = this.#silenceTimer(`${this.#where}: the token server ${realm.origin} of ${this.registry}`);
    try {
      res = timer.watch(await fetch(realm, { headers, signal: timer.signal }));
    } catch (cause) {
      timer.done();
      if (this.#signal?.aborted) throw this.#signal.reason;
      if (timer.timedOut) throw timer.timedOut;
      throw new RegistryUnreachableError(`cannot reach the token server ${realm.origin} of ${this.registry}: ${(cause as Error).message}`, { cause });
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthError(
        `${this.#where}: the token server ${realm.origin} refused ${this.#credentials ? `the credentials of ${this.#credentials.username}` : 'an anonymous token'} (HTTP ${res.status})`,
        res.status,
      );
    }
    if (!res.ok) throw new RegistryHttpError(`${this.#where}: the token server ${realm.origin} answered HTTP ${res.status}`, res.status);
    let body: { token?: unknown; access_token?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch (cause) {
      if (timer.timedOut) throw timer.timedOut;
      throw new RegistryProtocolError(`${this.#where}: the token server ${realm.origin} did not answer JSON`, { cause });
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new RegistryProtocolError(`${this.#where}: the token server ${realm.origin} answered without a token`);
    return token;
  }
}

/** The registry's error list (`{"errors":[{"code","message"}]}`) as ": CODE message", or "". */
async function errorDetail(res: Response): Promise<string> {
  if (res.status === 204 || !res.body) return '';
  let text: string;
  try {
    text = await res.text();
  } catch {
    return '';
  }
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) return `: ${errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ')}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const line = text.trim().split('\n')[0] ?? '';
  return line ? `: ${line.slice(0, 200)}` : '';
}
