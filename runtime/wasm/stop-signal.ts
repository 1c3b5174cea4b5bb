// How the controlling thread asks a running guest to stop, in shared memory the worker reads
// between native calls: the blocking host calls (buffer poll, WASI sleep) wait on it, so a stop
// wakes them at once, and they answer EINTR like a native tool's interrupted syscall.
import { WasmbpfError } from '../../errors/index.ts';

/**
 * The rule for blocking host calls: none waits longer than this between two looks at the stop
 * word, so a stop or kill reaches a guest blocked in the host within this time. (The buffer
 * poll and the stdin waits run their native waits in slices of it; WASI sleep waits on the word
 * itself and wakes at once.)
 */
export const BLOCK_SLICE_MS = 100;
/**
 * The longest one buffer poll may block: a poll with timeout -1 or above this returns 0 (no
 * records) after it, like an expired timeout, and the guest's loop polls again. wasm-bpf's
 * tools poll in a loop with a timeout of 100 ms or so, and treat 0 as "carry on".
 */
export const MAX_POLL_BLOCK_MS = 1000;

const RUNNING = 0;
const STOPPING = 1;
const KILLING = 2;

/**
 * Thrown by a host import when the module is being killed: a plain JS exception unwinds the
 * guest's Wasm frames and the worker cleans up on its own thread. (worker.terminate() is only
 * the last resort: terminating a thread in the middle of a koffi call aborts the process.)
 * `deaf`: not a kill but a stop the guest showed it will not honour (it blocked again after
 * it was told EINTR); it ends with the stop's status, like a kill after the grace period.
 */
export class GuestKilled extends WasmbpfError {
  readonly code = 'WASMBPF_KILLED';
  constructor(readonly deaf = false) {
    super(deaf ? 'the module blocked in a host call again after it was told to stop (EINTR): ended now, without waiting out the grace period' : 'killed');
  }
}

export class StopSignal {
  private readonly word: Int32Array;
  /** Whether the guest has been told of the stop (a blocking call answered EINTR). */
  private delivered = false;

  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.word = new Int32Array(sab);
  }

  get stopping(): boolean {
    return Atomics.load(this.word, 0) !== RUNNING;
  }

  get killing(): boolean {
    return Atomics.load(this.word, 0) === KILLING;
  }

  request(): void {
    Atomics.compareExchange(this.word, 0, RUNNING, STOPPING);
    Atomics.notify(this.word, 0);
  }

  kill(): void {
    Atomics.store(this.word, 0, KILLING);
    Atomics.notify(this.word, 0);
  }

  /** Host imports call this first: throws GuestKilled once the module is being killed. */
  check(): void {
    if (Atomics.load(this.word, 0) === KILLING) throw new GuestKilled();
  }

  /** The guest has been told of the stop (a call answered EINTR): from now on, blocking ends it. */
  get told(): boolean {
    return this.delivered;
  }

  /**
   * For a blocking call that sees a stop: true when it is to answer EINTR. The first blocking
   * call after a stop is told (EINTR); a guest that then blocks again has shown it does not
   * look at EINTR (wasm-bpf's `while (!exiting)` loops, whose flag only a signal handler could
   * set), so that call throws GuestKilled(deaf) at once instead of letting it wait out the
   * grace period. A call that would not block (timeout 0, or data ready: the callers look
   * first) is only told EINTR again.
   */
  interrupt(wouldBlock = true): boolean {
    if (!this.stopping) return false;
    if (!this.delivered) {
      this.delivered = true;
      return true;
    }
    if (wouldBlock) throw new GuestKilled(true);
    return true;
  }

  /** Sleeps up to ms; false when a stop cut it short (the caller answers EINTR). */
  sleep(ms: number): boolean {
    this.check();
    if (this.interrupt(ms > 0)) return false;
    const r = Atomics.wait(this.word, 0, RUNNING, Math.max(0, ms));
    this.check();
    if (r === 'timed-out') return true;
    this.delivered = true;
    return false;
  }
}
