// A ttrpc server over unix sockets. Services are tables of handlers that take and return the
// payload bytes; decoding them is the caller's business, so this layer knows nothing of what it
// serves. Each request runs concurrently (ttrpc multiplexes calls on one connection by stream
// id); a handler's result goes back on the stream it came from. A frame the server cannot parse
// closes that connection and is logged; no peer can take the process down.
import net from 'node:net';
import fs from 'node:fs';
import { FrameReader, MessageType, encodeFrame, MAX_MESSAGE_LENGTH } from './frame.ts';
import { decodeRequest, encodeResponse, type Metadata } from './messages.ts';
import { Status, TtrpcError, statusName } from './errors.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallContext {
  service: string;
  method: string;
  metadata: Metadata;
  /** Aborted when the request's timeout passes or its connection closes. */
  signal: AbortSignal;
}

export type Handler = (payload: Uint8Array, ctx: CallContext) => Promise<Uint8Array>;

export interface ServerOptions {
  /** Where connection-level problems are reported. Default: stderr. */
  log?: (message: string, error?: unknown) => void;
  maxMessageLength?: number;
  /** Told when a connection opens or closes, with the number now open (e.g. to keep an idle server up while a peer is connected). */
  onConnections?: (open: number) => void;
}

export class TtrpcServer {
  readonly #services = new Map<string, Record<string, Handler>>();
  readonly #connections = new Set<net.Socket>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #log: (message: string, error?: unknown) => void;
  readonly #maxLength: number;
  readonly #onConnections: ((open: number) => void) | undefined;
  #server: net.Server | undefined;
  #path: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    this.#log = options.log ?? ((message, error) => process.stderr.write(`ttrpc: ${message}${error ? `: ${String(error)}` : ''}\n`));
    this.#maxLength = options.maxMessageLength ?? MAX_MESSAGE_LENGTH;
    this.#onConnections = options.onConnections;
  }

  register(service: string, methods: Record<string, Handler>): void {
    if (this.#services.has(service)) throw new Error(`ttrpc service ${service} is already registered`);
    this.#services.set(service, methods);
  }

  /** Listens on a unix socket path. A stale socket file left by a dead process is replaced. */
  async listen(path: string): Promise<void> {
    if (this.#server) throw new Error('ttrpc server is already listening');
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch(async (error: NodeJS.ErrnoException) => {
      // Replace only a socket nobody listens on (its owner died); never an arbitrary file.
      if (error.code !== 'EADDRINUSE' || !fs.statSync(path, { throwIfNoEntry: false })?.isSocket() || (await isLive(path))) throw error;
      fs.rmSync(path, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
    });
    server.on('error', (error) => this.#log('listener error', error));
    this.#server = server;
    this.#path = path;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Graceful: stop accepting, give calls in flight up to graceMs to answer (a containerd Wait
   * may never answer), then close every connection. Idempotent.
   */
  close(graceMs = 5000): Promise<void> {
    this.#closing ??= (async () => {
      // net.Server.close() calls back only once every connection has ended, so await it last.
      const server = this.#server;
      const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      if (this.#path) fs.rmSync(this.#path, { force: true });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      const sockets = [...this.#connections];
      for (const socket of sockets) socket.destroySoon();
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())))));
      await stopped;
    })();
    return this.#closing;
  }

  /** Immediate: drop every connection without waiting for calls in flight. */
  destroy(): void {
    this.#server?.close();
    if (this.#path) fs.rmSync(this.#path, { force: true });
    for (const socket of this.#connections) socket.destroy();
  }

  #accept(socket: net.Socket): void {
    this.#connections.add(socket);
    this.#onConnections?.(this.#connections.size);
    const reader = new FrameReader(this.#maxLength);
    const aborts = new Set<AbortController>();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (error) {
        this.#log('closing connection', error);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        if (frame.type !== MessageType.Request) {
          // ttrpc ignores message types it does not know, for forward compatibility.
          this.#log(`ignoring message of type ${frame.type} on stream ${frame.streamId}`);
          continue;
        }
        const done = this.#dispatch(socket, frame.streamId, frame.payload, aborts).finally(() => this.#inflight.delete(done));
        this.#inflight.add(done);
      }
    });
    socket.on('error', (error) => this.#log('connection error', error));
    socket.on('close', () => {
      this.#connections.delete(socket);
      for (const abort of aborts) abort.abort(new Error('connection closed'));
      this.#onConnections?.(this.#connections.size);
    });
  }

  async #dispatch(socket: net.Socket, streamId: number, bytes: Buffer, aborts: Set<AbortController>): Promise<void> {
    let request;
    try {
      request = decodeRequest(bytes);
    } catch (error) {
      this.#log(`closing connection: undecodable request on stream ${streamId}`, error);
      socket.destroy();
      return;
    }
    const abort = new AbortController();
    aborts.add(abort);
    let timer: NodeJS.Timeout | undefined;
    let payload: Uint8Array = new Uint8Array(0);
    let status: { code: number; message: string } | undefined;
    try {
      const handler = this.#services.get(request.service)?.[request.method];
      if (!handler) throw new TtrpcError(Status.Unimplemented, `${request.service}/${request.method} is not implemented`);
      const call = handler(request.payload, { service: request.service, method: request.method, metadata: request.metadata, signal: abort.signal });
      if (request.timeoutNano > 0) {
        // setTimeout takes at most 2^31-1 ms and turns anything longer into 1 ms: a far deadline
        // (a peer's int64 max) must not become an immediate DeadlineExceeded.
        const ms = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(request.timeoutNano / 1e6)));
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // reject first: the handler's own reaction to the abort must not win the race
            reject(new TtrpcError(Status.DeadlineExceeded, `${request.service}/${request.method}: deadline of ${ms} ms exceeded`));
            abort.abort(new Error('deadline exceeded'));
          }, ms);
        });
        call.catch(() => {}); // a late failure after the deadline is already answered
        payload = await Promise.race([call, deadline]);
      } else {
        payload = await call;
      }
    } catch (error) {
      status = error instanceof TtrpcError
        ? { code: error.status, message: error.message }
        : { code: Status.Unknown, message: error instanceof Error ? error.message : String(error) };
      payload = new Uint8Array(0);
    } finally {
      clearTimeout(timer);
      aborts.delete(abort);
    }
    if (socket.destroyed) return;
    const response = encodeResponse(status ? { status, payload } : { status: { code: Status.OK, message: '' }, payload });
    if (response.length > this.#maxLength) {
      const message = `${request.service}/${request.method}: response of ${response.length} bytes exceeds the message limit`;
      this.#log(message);
      socket.write(encodeFrame(streamId, MessageType.Response, encodeResponse({ status: { code: Status.ResourceExhausted, message }, payload: new Uint8Array(0) })));
      return;
    }
    if (status && status.code === Status.Unknown) this.#log(`${request.service}/${request.method} failed (${statusName(status.code)}): ${status.message}`);
    socket.write(encodeFrame(streamId, MessageType.Response, response));
  }
}

/** Whether something accepts connections on the socket path. */
export function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
