// The one way tests wait for something outside them to happen (a process to exit, an object to be
// freed, a line in a log): poll, and fail naming what never happened.
import { setTimeout as sleep } from 'node:timers/promises';

type Unready = undefined | null | false | 0 | '';

/** Polls `probe` every 100 ms until it gives a truthy value, and resolves with it; rejects naming `what` after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | Unready> | T | Unready, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
