// Routes libbpf's messages to the module that caused them.
//
// libbpf_set_print() is process-wide, but each module runs in its own worker thread and its
// messages (and verifier log) belong on that module's stderr. So the print callback is
// registered once, on the main thread (koffi queues calls made on other threads to it and blocks
// the caller until it ran, which keeps libbpf's va_list valid), and workers take a process-wide
// lock around every libbpf call that may print, naming themselves as its owner. The callback
// writes the message to the owner's stderr fd and keeps the last bytes of it in the owner's
// capture buffer, which the worker reads back for error messages (BpfError.log, last_error).
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { koffi, lib, libcFns, PrintFn } from './libbpf.ts';

const LEVEL_WARN = 0;
const LEVEL_DEBUG = 2;
const CAPTURE_BYTES = 64 * 1024;

/** Shared between the main thread and every worker; created by the main thread. */
export interface LibbpfLogShared {
  /** [0]: lock word (0 free, else the holder's sink id); [1]: id of the owner of the current libbpf call. */
  control: SharedArrayBuffer;
}

/** One module's sink: where its messages go. */
export interface LibbpfLogSink {
  id: number;
  stderrFd: number;
  /** [0..3]: Int32 length used; then CAPTURE_BYTES of text. */
  capture: SharedArrayBuffer;
}

const sinks = new Map<number, LibbpfLogSink>();
let shared: LibbpfLogShared | undefined;
let nextSinkId = 1;
const verbose = process.env.WASMBPF_LIBBPF_DEBUG === '1';

function appendCapture(sink: LibbpfLogSink, text: string): void {
  const header = new Int32Array(sink.capture, 0, 1);
  const body = new Uint8Array(sink.capture, 4);
  let bytes = Buffer.from(text);
  if (bytes.length > body.length) bytes = bytes.subarray(bytes.length - body.length);
  let used = Atomics.load(header, 0);
  if (used + bytes.length > body.length) {
    // Keep the tail: for a verifier log the last lines say why the program was rejected.
    const keep = body.length - bytes.length;
    body.copyWithin(0, used - keep, used);
    used = keep;
  }
  body.set(bytes, used);
  Atomics.store(header, 0, used + bytes.length);
}

/** Main thread only: installs the print callback once; returns what workers need. */
export function installLibbpfLogRouter(): LibbpfLogShared {
  if (shared) return shared;
  if (!isMainThread) throw new Error('installLibbpfLogRouter must run on the main thread');
  shared = { control: new SharedArrayBuffer(8) };
  const control = new Int32Array(shared.control);
  const buf = Buffer.alloc(256 * 1024);
  const callback = koffi.register((level: number, fmt: string, args: unknown) => {
    const n = libcFns.vsnprintf(buf, buf.length, fmt, args) as number;
    if (n <= 0) return 0;
    const text = buf.subarray(0, Math.min(n, buf.length - 1)).toString('utf8');
    const owner = sinks.get(Atomics.load(control, 1));
    if (owner && level < LEVEL_DEBUG) appendCapture(owner, text);
    if (level <= LEVEL_WARN || verbose || (level < LEVEL_DEBUG && owner)) {
      try {
        fs.writeSync(owner?.stderrFd ?? 2, text);
      } catch {
        // The module's stderr may already be closed (a FIFO whose reader went away): drop it.
      }
    }
    return 0;
  }, koffi.pointer(PrintFn));
  lib.set_print(callback);
  return shared;
}

/** Main thread: a sink for a new module. */
export function openLogSink(stderrFd: number): LibbpfLogSink {
  const sink = { id: nextSinkId++, stderrFd, capture: new SharedArrayBuffer(4 + CAPTURE_BYTES) };
  sinks.set(sink.id, sink);
  return sink;
}

/**
 * Main thread, once the sink's worker has exited: forgets the sink, and frees the lock if the
 * worker died holding it (worker.terminate() skips its finally blocks).
 */
export function closeLogSink(sink: LibbpfLogSink): void {
  sinks.delete(sink.id);
  if (shared) {
    const control = new Int32Array(shared.control);
    if (Atomics.compareExchange(control, 0, sink.id, 0) === sink.id) {
      Atomics.compareExchange(control, 1, sink.id, 0);
      Atomics.notify(control, 0);
    }
  }
}

/** Worker side: runs libbpf calls with the lock held and this sink as owner; returns fn's result and what libbpf said. */
export class LibbpfLogClient {
  private readonly control: Int32Array;
  private readonly header: Int32Array;
  private readonly body: Uint8Array;
  constructor(sharedState: LibbpfLogShared, private readonly sink: LibbpfLogSink) {
    this.control = new Int32Array(sharedState.control);
    this.header = new Int32Array(sink.capture, 0, 1);
    this.body = new Uint8Array(sink.capture, 4);
  }

  private depth = 0;

  run<T>(fn: () => T): { result: T; log: string } {
    if (this.depth > 0) {
      // Already holding the lock (a libbpf call made from inside another): just run it.
      return { result: fn(), log: '' };
    }
    for (;;) {
      const holder = Atomics.compareExchange(this.control, 0, 0, this.sink.id);
      if (holder === 0) break;
      Atomics.wait(this.control, 0, holder, 50);
    }
    Atomics.store(this.header, 0, 0);
    Atomics.store(this.control, 1, this.sink.id);
    this.depth++;
    try {
      const result = fn();
      return { result, log: Buffer.from(this.body.subarray(0, Atomics.load(this.header, 0))).toString('utf8') };
    } finally {
      this.depth--;
      Atomics.store(this.control, 1, 0);
      Atomics.store(this.control, 0, 0);
      Atomics.notify(this.control, 0, 1);
    }
  }
}
