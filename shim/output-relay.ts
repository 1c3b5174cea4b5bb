// Module output never blocks the module. A module's worker writes stdout/stderr with blocking
// write(2) calls; if it wrote straight into containerd's FIFO and nobody read it (`ctr run -d`
// after ctr exits, a slow log reader), the worker would block in the kernel once the 64 KiB
// pipe filled, and then no stop (not even SIGKILL: terminating a worker cannot interrupt a
// system call) could end it. So the worker writes into a private FIFO that this server drains
// all the time, and the server forwards to containerd's FIFO through a non-blocking stream
// with a bounded queue: when nobody reads, output beyond 1 MiB is dropped and a marker line
// says how much, instead of memory growing or the module stalling.
//
// Residual: the runtime writes a trap message to stderr from the main thread after the worker
// ended; if exactly then 64 KiB of stderr were unread in the private pipe, that write would
// wait for this same thread. stderr output is small in practice.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { invalidArgument } from './errors.ts';

const MAX_QUEUED = 1 << 20;
const FLUSH_TIMEOUT_MS = 2000;

export class OutputRelay {
  /** The fd the module writes to (blocking; the write end of the private FIFO). */
  readonly writeFd: number;
  readonly #reader: net.Socket;
  readonly #sink: net.Socket;
  /** Dropped since the last marker line; #droppedTotal for the log. */
  #dropped = 0;
  #droppedTotal = 0;
  #workerSideClosed = false;
  readonly #done: Promise<void>;

  private constructor(writeFd: number, reader: net.Socket, sink: net.Socket) {
    this.writeFd = writeFd;
    this.#reader = reader;
    this.#sink = sink;
    sink.on('error', () => {
      // the reader went away for good: nothing more can be delivered
      reader.destroy();
    });
    reader.on('data', (chunk: Buffer) => this.#forward(chunk));
    this.#done = new Promise((resolve) => {
      reader.once('close', () => {
        this.#flushDropped();
        sink.end();
        const timer = setTimeout(() => sink.destroy(), FLUSH_TIMEOUT_MS);
        sink.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
  }

  /** Opens containerd's FIFO (target) and a private FIFO for the module. Rolls back on failure. */
  static open(target: string, what: string): OutputRelay {
    const opened: number[] = [];
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-io-'));
    try {
      const sinkFd = fs.openSync(target, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      opened.push(sinkFd);
      const fifo = path.join(scratch, 'out');
      execFileSync('mkfifo', ['-m', '600', fifo]);
      const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      opened.push(readFd);
      const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY); // a reader exists: does not block
      opened.push(writeFd);
      const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
      const sink = new net.Socket({ fd: sinkFd, readable: false, writable: true });
      return new OutputRelay(writeFd, reader, sink);
    } catch (error) {
      for (const fd of opened) fs.closeSync(fd);
      throw invalidArgument(`cannot open the task's ${what} ${target}: ${(error as Error).message}`, error);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true }); // the open fds keep the FIFO alive
    }
  }

  /** Bytes dropped so far because nobody read them. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Writes from the shim itself (its own messages for the task's stderr), queued like module output. */
  write(text: string): void {
    this.#forward(Buffer.from(text));
  }

  /**
   * After the module has ended: close its write end; resolves once what it wrote reached
   * containerd's FIFO (or was dropped), and containerd's reader sees end-of-file. Idempotent.
   */
  finish(): Promise<void> {
    if (!this.#workerSideClosed) {
      this.#workerSideClosed = true;
      fs.closeSync(this.writeFd);
    }
    return this.#done;
  }

  /** Immediate: drops whatever is queued. */
  destroy(): void {
    if (!this.#workerSideClosed) {
      this.#workerSideClosed = true;
      fs.closeSync(this.writeFd);
    }
    this.#reader.destroy();
    this.#sink.destroy();
  }

  #forward(chunk: Buffer): void {
    if (this.#sink.destroyed) return;
    if (this.#sink.writableLength + chunk.length > MAX_QUEUED) {
      this.#dropped += chunk.length;
      this.#droppedTotal += chunk.length;
      return;
    }
    this.#flushDropped();
    this.#sink.write(chunk);
  }

  #flushDropped(): void {
    if (this.#dropped === 0 || this.#sink.destroyed) return;
    this.#sink.write(`[wasmbpf: ${this.#dropped} bytes of output dropped: nobody was reading]\n`);
    this.#dropped = 0;
  }
}
