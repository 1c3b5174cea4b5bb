// How the controlling thread asks a running guest to stop, in shared memory the worker reads
// between native calls: the blocking host calls (buffer poll, WASI sleep) wait on it, so a stop
// wakes them at once, and they answer EINTR like a native tool's interrupted syscall.

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
 */
export class GuestKilled extends Error {
  readonly code = 'WASMBPF_KILLED';
  constructor() {
    super('killed');
  }
}

export class StopSignal {
  private readonly word: Int32Array;
  /** Whether a sleeping guest has been told EINTR already (later sleeps block until terminate). */
  private sleepInterrupted = false;

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

  /**
   * For a blocking call that sees a stop: true the first time (it answers EINTR), false after,
   * so a guest that ignores EINTR blocks on (a kill still ends it) instead of spinning.
   */
  interruptOnce(): boolean {
    if (!this.stopping || this.sleepInterrupted) return false;
    this.sleepInterrupted = true;
    return true;
  }

  /**
   * Sleeps up to ms; false when woken by a stop (the caller answers EINTR). After the guest has
   * been told once, sleeps run to completion, so a guest that ignores EINTR does not spin until
   * it is terminated.
   */
  sleep(ms: number): boolean {
    this.check();
    if (this.stopping) {
      if (!this.sleepInterrupted) {
        this.sleepInterrupted = true;
        return false;
      }
      // Told once already: sleep on, but still wake for a kill.
      Atomics.wait(this.word, 0, STOPPING, Math.max(0, ms));
      this.check();
      return true;
    }
    const r = Atomics.wait(this.word, 0, RUNNING, Math.max(0, ms));
    this.check();
    if (r === 'timed-out') return true;
    this.sleepInterrupted = true;
    return false;
  }
}
