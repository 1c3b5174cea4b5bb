// A ttrpc client over a unix socket. Calls are multiplexed on the one connection by stream id
// (odd, increasing, as ttrpc clients number them), so many can be in flight at once. A call
// without a response by its timeout rejects with TtrpcTimeoutError and its stream is forgotten;
// a connection that closes or sends a frame we cannot parse rejects every call still waiting.
import net from 'node:net';
import { FrameReader, MessageType, encodeFrame, MAX_MESSAGE_LENGTH } from './frame.ts';
import { decodeResponse, encodeRequest, type Metadata } from './messages.ts';
import { Status, TtrpcConnectionError, TtrpcError, TtrpcTimeoutError } from './errors.ts';

export interface CallOptions {
  /** Sent to the server as the request's timeout too. Default: no timeout. */
  timeoutMs?: number;
  metadata?: Metadata;
  signal?: AbortSignal;
}

interface Pending {
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
}

export class TtrpcClient {
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #closed: Promise<void>;
  #nextStreamId = 1;
  #closeError: Error | undefined;

  private constructor(socket: net.Socket, maxLength: number) {
    this.#socket = socket;
    const reader = new FrameReader(maxLength);
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (error) {
        this.#fail(new TtrpcConnectionError('ttrpc server sent a malformed frame; connection closed', { cause: error }));
        return;
      }
      for (const frame of frames) {
        if (frame.type !== MessageType.Response) continue;
        const pending = this.#pending.get(frame.streamId);
        if (!pending) continue; // timed out or cancelled: the late answer has nobody to go to
        this.#pending.delete(frame.streamId);
        let response;
        try {
          response = decodeResponse(frame.payload);
        } catch (error) {
          pending.reject(new TtrpcConnectionError('undecodable ttrpc response', { cause: error }));
          continue;
        }
        if (response.status && response.status.code !== Status.OK) pending.reject(new TtrpcError(response.status.code, response.status.message));
        else pending.resolve(response.payload);
      }
    });
    socket.on('error', (error) => this.#fail(new TtrpcConnectionError(`ttrpc connection failed: ${error.message}`, { cause: error })));
    this.#closed = new Promise((resolve) => socket.once('close', () => {
      this.#fail(new TtrpcConnectionError('ttrpc connection closed'));
      resolve();
    }));
  }

  static connect(path: string, options: { timeoutMs?: number; maxMessageLength?: number } = {}): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      const timer = options.timeoutMs
        ? setTimeout(() => {
            socket.destroy();
            reject(new TtrpcConnectionError(`connecting to ${path} timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs)
        : undefined;
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TtrpcClient(socket, options.maxMessageLength ?? MAX_MESSAGE_LENGTH));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new TtrpcConnectionError(`cannot connect to ttrpc socket ${path}: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Resolves when the connection has closed, for whatever reason. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  call(service: string, method: string, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    if (this.#closeError) return Promise.reject(this.#closeError);
    const streamId = this.#nextStreamId;
    this.#nextStreamId = (this.#nextStreamId + 2) >>> 0 || 1;
    const timeoutNano = options.timeoutMs ? options.timeoutMs * 1e6 : 0;
    const frame = encodeFrame(streamId, MessageType.Request, encodeRequest({ service, method, payload, timeoutNano, metadata: options.metadata ?? {} }));
    const call = new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => settle(() => reject(new TtrpcError(Status.Cancelled, `${service}/${method} cancelled`, { cause: options.signal?.reason })));
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(streamId);
        fn();
      };
      this.#pending.set(streamId, {
        resolve: (bytes) => settle(() => resolve(bytes)),
        reject: (error) => settle(() => reject(error)),
      });
      if (options.timeoutMs) {
        timer = setTimeout(() => settle(() => reject(new TtrpcTimeoutError(`${service}/${method}: no response within ${options.timeoutMs} ms`))), options.timeoutMs);
      }
      if (options.signal) {
        if (options.signal.aborted) return onAbort();
        options.signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#socket.write(frame);
    });
    const settled = call.then(() => {}, () => {}).finally(() => this.#inflight.delete(settled));
    this.#inflight.add(settled);
    return call;
  }

  /** Graceful: waits for calls in flight, then closes. Idempotent. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    this.#socket.end();
    await this.#closed;
  }

  /** Immediate: rejects every call in flight. Idempotent. */
  destroy(): void {
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#closeError ??= error;
    for (const pending of [...this.#pending.values()]) pending.reject(error);
    this.#pending.clear();
    this.#socket.destroy();
  }
}
