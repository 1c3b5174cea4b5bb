// Waiting on the guest's stdio fds without blocking past a stop. node:wasi's fd_read and
// poll_oneoff block in native code (read(2), uv_run) that neither the stop word nor
// worker.terminate() can interrupt: a guest reading a stdin nobody writes to could never be
// killed, and the shim would wait for it forever. So the WASI layer first waits here, in libc
// poll(2) slices of BLOCK_SLICE_MS with a look at the stop word between them, and calls
// node:wasi only once the fd is ready (then it does not block).
import koffi from 'koffi';
import { BLOCK_SLICE_MS, type StopSignal } from './stop-signal.ts';

const libc = koffi.load('libc.so.6');
const poll = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }

export interface HostWaitFd {
  fd: number;
  events: number;
}

export type WaitResult = 'ready' | 'timeout' | 'interrupted';

/**
 * Waits until one of fds is ready, deadlineMs (performance.now() time) passes, or a stop
 * arrives ('interrupted' the first time; a kill, or a stop the guest ignored, throws GuestKilled).
 */
export function waitForFds(fds: HostWaitFd[], deadlineMs: number, stop: StopSignal): WaitResult {
  const set = Buffer.alloc(fds.length * POLLFD_SIZE);
  fds.forEach((f, i) => {
    set.writeInt32LE(f.fd, i * POLLFD_SIZE);
    set.writeInt16LE(f.events, i * POLLFD_SIZE + 4);
  });
  for (;;) {
    stop.check();
    if (stop.stopping) {
      // Ready fds are read whatever the stop: only a wait that would block is interrupted (or,
      // once the guest has been told, ends it: stop-signal.ts interrupt()).
      if ((poll(set, fds.length, 0) as number) > 0) return 'ready';
      if (stop.interrupt(deadlineMs > performance.now())) return 'interrupted';
    }
    const left = deadlineMs - performance.now();
    if (left <= 0) return 'timeout';
    const r = poll(set, fds.length, Math.ceil(Math.min(BLOCK_SLICE_MS, left))) as number;
    // r < 0 (EINTR from a signal to the process, or EBADF): let node:wasi make the call and answer.
    if (r !== 0) return 'ready';
  }
}
