// WASI preview1 for the guest: Node's node:wasi (uvwasi) does the work, and we replace the few
// calls whose behaviour a tool in a container needs to be different:
// - fd_fdstat_get on stdout/stderr reports a character device without seek/tell rights, which
//   is how wasi-libc decides a stream is a terminal, so the guest's stdio is line-buffered and
//   events reach a FIFO or log file as they happen, not when the buffer fills or at exit;
// - poll_oneoff with only clock subscriptions (sleep, nanosleep) waits on the stop signal, so a
//   stop wakes a sleeping guest at once with EINTR;
// - fd_read on stdin, and poll_oneoff on the stdio fds, first wait for the fd in slices that
//   look at the stop signal (host-wait.ts): uvwasi would block in native code that no stop or
//   kill can interrupt. Anything else goes to uvwasi.
// Files are visible only under the preopens the caller gives.
import { WASI } from 'node:wasi';
import { WASI_ERRNO } from '../errno.ts';
import { GuestMemory } from './guest-memory.ts';
import { POLLIN, POLLOUT, waitForFds, type HostWaitFd } from './host-wait.ts';
import type { StopSignal } from './stop-signal.ts';

const FILETYPE_CHARACTER_DEVICE = 2;
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const CLOCK_REALTIME = 0;
const SUBCLOCKFLAGS_ABSTIME = 1;
// fd_read | fd_write | fd_fdstat_set_flags | poll_fd_readwrite; no fd_seek (bit 2) or fd_tell (bit 5).
const TTY_RIGHTS = (1n << 1n) | (1n << 6n) | (1n << 3n) | (1n << 27n);

export interface WasiOptions {
  args: string[];
  env: string[];
  stdin: number;
  stdout: number;
  stderr: number;
  preopens: Record<string, string>;
  stop: StopSignal;
}

type ImportFn = (...args: (number | bigint)[]) => number;

export class GuestWasi {
  private readonly wasi: WASI;
  private memory: GuestMemory | undefined;

  constructor(private readonly opts: WasiOptions) {
    const env: Record<string, string> = {};
    for (const kv of opts.env) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    this.wasi = new WASI({
      version: 'preview1',
      args: opts.args,
      env,
      stdin: opts.stdin,
      stdout: opts.stdout,
      stderr: opts.stderr,
      preopens: opts.preopens,
      returnOnExit: true,
    });
  }

  imports(): Record<string, ImportFn> {
    const base = this.wasi.wasiImport as Record<string, ImportFn>;
    const stop = this.opts.stop;
    const checked: Record<string, ImportFn> = {};
    for (const [name, fn] of Object.entries(base)) {
      checked[name] = (...args) => {
        stop.check();
        return fn(...args);
      };
    }
    return {
      ...checked,
      fd_fdstat_get: (fd, statPtr) => {
        if (fd === 1 || fd === 2) return this.ttyFdstat(statPtr as number);
        return base.fd_fdstat_get!(fd, statPtr);
      },
      fd_read: (fd, iovs, iovsLen, nreadPtr) => {
        if (fd === 0) {
          const waited = waitForFds([{ fd: this.opts.stdin, events: POLLIN }], Infinity, stop);
          if (waited === 'interrupted') return WASI_ERRNO.EINTR;
        }
        return checked.fd_read!(fd, iovs, iovsLen, nreadPtr);
      },
      poll_oneoff: (inPtr, outPtr, nsubs, neventsPtr) => {
        stop.check();
        return this.pollOneoff(base.poll_oneoff!, inPtr as number, outPtr as number, nsubs as number, neventsPtr as number);
      },
    };
  }

  /** Runs the guest's _start; returns its exit code (proc_exit or 0). Traps propagate. */
  start(instance: WebAssembly.Instance): number {
    this.memory = new GuestMemory(instance.exports.memory as WebAssembly.Memory);
    return this.wasi.start(instance);
  }

  private ttyFdstat(statPtr: number): number {
    try {
      const bytes = this.memory!.bytes(statPtr >>> 0, 24);
      bytes.fill(0);
      const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
      view.setUint8(0, FILETYPE_CHARACTER_DEVICE);
      view.setBigUint64(8, TTY_RIGHTS, true);
      return WASI_ERRNO.ESUCCESS;
    } catch {
      return WASI_ERRNO.EFAULT;
    }
  }

  private pollOneoff(fallback: ImportFn, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
    if (nsubs === 0) return WASI_ERRNO.EINVAL;
    let subs: Uint8Array;
    try {
      subs = this.memory!.bytes(inPtr >>> 0, nsubs * SUBSCRIPTION_SIZE);
      this.memory!.bytes(outPtr >>> 0, nsubs * EVENT_SIZE);
      this.memory!.bytes(neventsPtr >>> 0, 4);
    } catch {
      return WASI_ERRNO.EFAULT;
    }
    const view = new DataView(subs.buffer, subs.byteOffset, subs.byteLength);
    const clocks: { userdata: bigint; deadlineMs: number }[] = [];
    const stdio: HostWaitFd[] = [];
    const hostFd = [this.opts.stdin, this.opts.stdout, this.opts.stderr];
    const nowMs = performance.now();
    for (let i = 0; i < nsubs; i++) {
      const at = i * SUBSCRIPTION_SIZE;
      const type = view.getUint8(at + 8);
      if (type === EVENTTYPE_FD_READ || type === EVENTTYPE_FD_WRITE) {
        // Files under the preopens are always ready; only the stdio fds (pipes, FIFOs) can block.
        const fd = view.getUint32(at + 16, true);
        if (fd > 2) return fallback(inPtr, outPtr, nsubs, neventsPtr);
        stdio.push({ fd: hostFd[fd]!, events: type === EVENTTYPE_FD_READ ? POLLIN : POLLOUT });
        continue;
      }
      if (type !== EVENTTYPE_CLOCK) return fallback(inPtr, outPtr, nsubs, neventsPtr);
      const clockId = view.getUint32(at + 16, true);
      const timeoutNs = view.getBigUint64(at + 24, true);
      const flags = view.getUint16(at + 40, true);
      let relMs = Number(timeoutNs) / 1e6;
      if (flags & SUBCLOCKFLAGS_ABSTIME) {
        const clockNowMs = clockId === CLOCK_REALTIME ? Date.now() : Number(process.hrtime.bigint()) / 1e6;
        relMs -= clockNowMs;
      }
      clocks.push({ userdata: view.getBigUint64(at, true), deadlineMs: nowMs + Math.max(0, relMs) });
    }
    const first = Math.min(...clocks.map((c) => c.deadlineMs));
    if (stdio.length > 0) {
      // Wait for the fds here, interruptibly; once one is ready uvwasi answers without blocking.
      const waited = waitForFds(stdio, first, this.opts.stop);
      if (waited === 'interrupted') return WASI_ERRNO.EINTR;
      if (waited === 'ready') return fallback(inPtr, outPtr, nsubs, neventsPtr);
    } else if (!this.opts.stop.sleep(first - nowMs)) {
      return WASI_ERRNO.EINTR;
    }
    const after = performance.now();
    const events = new DataView(this.memory!.bytes(outPtr >>> 0, nsubs * EVENT_SIZE).slice().buffer);
    let n = 0;
    for (const c of clocks) {
      if (c.deadlineMs > after + 0.5 && n > 0) continue;
      const at = n * EVENT_SIZE;
      events.setBigUint64(at, c.userdata, true);
      events.setUint16(at + 8, 0, true);
      events.setUint8(at + 10, EVENTTYPE_CLOCK);
      n++;
    }
    this.memory!.bytes(outPtr >>> 0, n * EVENT_SIZE).set(new Uint8Array(events.buffer, 0, n * EVENT_SIZE));
    this.memory!.view().setUint32(neventsPtr >>> 0, n, true);
    return WASI_ERRNO.ESUCCESS;
  }
}
