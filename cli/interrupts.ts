// SIGINT for `wasmbpf run`: the first stops the module the way a native tool stops (its blocked
// call returns EINTR); a second Ctrl-C, pressed later, ends it at once. One interrupt often
// arrives twice: GNU `timeout -s INT` signals the child and then its process group, a shell's
// `kill -INT` may meet the terminal's, and the module's own process group gets the terminal's
// Ctrl-C. A native libbpf tool, whose handler only sets `exiting`, cannot tell those apart and
// simply stops once; so SIGINTs within REPEAT_WINDOW_MS of the first count as that one, and
// only a later one is a person asking again.

/** Faster than anyone presses Ctrl-C twice on purpose, far slower than one signal sent twice. */
export const REPEAT_WINDOW_MS = 500;

export type InterruptAction = 'SIGINT' | 'SIGKILL';

/** Returns the SIGINT handler: it calls act('SIGINT') for the first, act('SIGKILL') for a later repeat. */
export function interruptHandler(act: (signal: InterruptAction) => void, now: () => number = () => performance.now()): () => void {
  let first: number | undefined;
  return () => {
    const at = now();
    if (first === undefined) {
      first = at;
      act('SIGINT');
    } else if (at - first >= REPEAT_WINDOW_MS) {
      act('SIGKILL');
    }
  };
}
