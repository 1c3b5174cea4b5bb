// Suites that load eBPF programs, start containerd or mount things run only as root; elsewhere
// each of their tests is skipped with the reason, and their hooks (which build and start what
// the tests need) do not run. One helper, so every such suite says it the same way:
//
//   const root = rootOnly('loads eBPF programs');
//   root.before(async () => { fixtures = await build(); });
//   test('...', { ...root.options, timeout: 60_000 }, async (t) => { ... });
//
// A test with a skip condition of its own puts it after the root one: `skip: root.skip || why`.
import { after, before } from 'node:test';

export interface RootOnly {
  /** "needs root: WHY" when not root, else false: node:test's skip option. */
  readonly skip: string | false;
  /** { skip } to spread into a test's options. */
  readonly options: { skip: string | false };
  /** node:test's before(), run only as root. */
  before(fn: () => unknown): void;
  /** node:test's after(), run only as root. */
  after(fn: () => unknown): void;
}

export function rootOnly(why: string): RootOnly {
  const skip = process.getuid?.() === 0 ? false : `needs root: ${why}`;
  return {
    skip,
    options: { skip },
    before: (fn) => before(async () => { if (!skip) await fn(); }),
    after: (fn) => after(async () => { if (!skip) await fn(); }),
  };
}
