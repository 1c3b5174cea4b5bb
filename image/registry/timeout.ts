// How long wasmbpf waits on a registry that has gone silent. The limit is on silence, not on
// the whole transfer: a request fails when no response arrives, or when its body delivers no
// bytes, for `timeoutMs` (default 30 s; WASMBPF_REGISTRY_TIMEOUT, in seconds or with an ms/s/m
// suffix). A large layer on a slow link is fine as long as bytes keep coming; a registry that
// accepts the connection and never answers, or stops in the middle of a body, fails with an
// error naming the registry and the limit instead of hanging the pull (or the shim) for ever.
import { RegistryTimeoutError, RegistryTimeoutSettingError } from './errors.ts';

export const REGISTRY_TIMEOUT_ENV = 'WASMBPF_REGISTRY_TIMEOUT';
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;

/** "30" (seconds), "500ms", "10s", "2m" -> milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  return ms > 0 ? ms : undefined;
}

export function registryTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[REGISTRY_TIMEOUT_ENV];
  if (text === undefined || text === '') return DEFAULT_REGISTRY_TIMEOUT_MS;
  const ms = parseDuration(text);
  if (ms === undefined) throw new RegistryTimeoutSettingError(`${REGISTRY_TIMEOUT_ENV}=${text} is not a duration (write e.g. 30, 30s or 500ms)`);
  return ms;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * One request's silence timer: its signal aborts the fetch (and the body being read) with a
 * RegistryTimeoutError once `ms` pass without touch(). Call done() when the body is read.
 */
export class SilenceTimer {
  readonly #ctrl = new AbortController();
  readonly signal: AbortSignal;
  #timer: NodeJS.Timeout | undefined;
  #waitingFor = 'response';

  constructor(readonly ms: number, private readonly describe: (waitingFor: string) => string, outer?: AbortSignal) {
    this.signal = outer ? AbortSignal.any([outer, this.#ctrl.signal]) : this.#ctrl.signal;
    this.touch();
  }

  get timedOut(): RegistryTimeoutError | undefined {
    return this.#ctrl.signal.aborted ? (this.#ctrl.signal.reason as RegistryTimeoutError) : undefined;
  }

  /** Progress: the timer starts again; `waitingFor` is what the message will say was missing. */
  touch(waitingFor?: string): void {
    if (waitingFor) this.#waitingFor = waitingFor;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const message = `${this.describe(this.#waitingFor)} for ${seconds(this.ms)}: timed out (${REGISTRY_TIMEOUT_ENV} sets the limit)`;
      this.#ctrl.abort(new RegistryTimeoutError(message, this.ms));
    }, this.ms).unref(); // the socket keeps the process alive while waiting; a forgotten body must not
  }

  done(): void {
    clearTimeout(this.#timer);
  }

  /**
   * The response with its body re-armed on every chunk and the timer stopped at its end, so
   * every way of reading it (arrayBuffer, text, json, the stream) is under the same limit.
   */
  watch(res: Response): Response {
    if (!res.body || [204, 205, 304].includes(res.status)) {
      this.done();
      return res;
    }
    this.touch('further body bytes');
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            this.done();
            controller.close();
            return;
          }
          this.touch();
          controller.enqueue(value);
        } catch (err) {
          this.done();
          controller.error(this.timedOut ?? err);
        }
      },
      cancel: async (reason) => {
        this.done();
        await reader.cancel(reason);
      },
    });
    const watched = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    return watched;
  }
}
