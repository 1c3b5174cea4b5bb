// How the controlling thread asks a running guest to stop, in shared memory the worker reads
// between native calls: the blocking host calls (buffer poll, WASI sleep) wait on it, so a stop
// wakes them at once, and they answer EINTR like a native tool's interrupted syscall.

const RUNNING = 0;
const STOPPING = 1;

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

  request(): void {
    Atomics.store(this.word, 0, STOPPING);
    Atomics.notify(this.word, 0);
  }

  /**
   * Sleeps up to ms; false when woken by a stop (the caller answers EINTR). After the guest has
   * been told once, sleeps run to completion, so a guest that ignores EINTR does not spin until
   * it is terminated.
   */
  sleep(ms: number): boolean {
    if (this.stopping) {
      if (!this.sleepInterrupted) {
        this.sleepInterrupted = true;
        return false;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
      return true;
    }
    const r = Atomics.wait(this.word, 0, RUNNING, Math.max(0, ms));
    if (r === 'timed-out') return true;
    this.sleepInterrupted = true;
    return false;
  }
}
