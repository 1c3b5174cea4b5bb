// One conformance run of the examples' table (example-table.ts) on one path, the way runwasi's
// WasiTestBuilder runs one module on each of its shims: a path starts a row's tool, and the checks
// are the same whichever path ran it.
//   - it starts: it prints its header;
//   - it reports real events: the row makes them happen in the kernel and recognises the report;
//   - it loads what it should (and not the programs this mode turns off);
//   - SIGINT ends it with status 0;
//   - afterwards nothing of the run is left: none of the eBPF programs, maps or links it held
//     (by id, from the holder's fdinfo, so other users of the same tool do not count), and
//     none of the path's own leftovers (fds, processes, tasks: ExampleRun.assertNothingLeft).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bpfIdsExcept, bpfIdsHeldBy, programNames, stillLoaded, type BpfIds } from './bpf-state.ts';
import { EXAMPLES, isKernelName, type ExampleRow, type ToolOutput } from './example-table.ts';
import { ensureTracefs } from './examples.ts';
import { rootOnly } from './root.ts';

/** One started tool, whichever path started it. */
export interface ExampleRun {
  stdout(): string;
  stderr(): string;
  /** Set once the tool has ended (its exit status is known). */
  readonly ended: boolean;
  /** The process whose fds hold the tool's eBPF objects (the test itself, the CLI, the shim). */
  bpfHolder(): Promise<number>;
  /** eBPF objects the holder held before the tool started (the test process's own), to leave out. */
  readonly heldBefore: BpfIds;
  /** SIGINT, then the exit status once it has ended. */
  interrupt(): Promise<number>;
  /** After it ended: asserts the path left nothing of it (fds, processes, tasks). */
  assertNothingLeft(): Promise<void>;
  /** For t.after(): ends it whatever state the test left it in. */
  kill(): Promise<void>;
}

export interface ExamplePath {
  /** Shown in the tests' names. */
  readonly name: string;
  /** Builds what the rows need (once per file, in before()). */
  prepare(rows: readonly ExampleRow[]): Promise<void>;
  start(row: ExampleRow): Promise<ExampleRun>;
  /** Ends what prepare() started (in after()). */
  close(): Promise<void>;
}

export const NO_BPF_IDS: BpfIds = { prog: new Set(), map: new Set(), link: new Set() };

function output(run: ExampleRun): ToolOutput {
  return {
    stdout: () => run.stdout(),
    async waitFor(re, ms = 20000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = run.stdout().match(re);
        if (m) return m;
        const why = run.ended ? 'the tool ended' : Date.now() > deadline ? `timed out after ${ms} ms` : undefined;
        if (why) throw new Error(`${why} before printing ${re}\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Cleanup hooks run once, in reverse order of their adding. */
class Cleanups {
  #fns: (() => unknown)[] = [];
  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }
  async run(): Promise<void> {
    for (let fn = this.#fns.pop(); fn; fn = this.#fns.pop()) await fn();
  }
}

/** The rows this kernel can run; the others are skipped with the reason. */
const supported = (rows: readonly ExampleRow[]) => rows.filter((row) => !row.unsupported?.());

/** Registers the file's hooks and one test per row, run on `path`. */
export function conformanceTests(path: ExamplePath, rows: readonly ExampleRow[] = EXAMPLES): void {
  const root = rootOnly('loads eBPF programs');
  let untracefs: (() => void) | undefined;
  root.before(async () => {
    untracefs = ensureTracefs();
    await path.prepare(supported(rows));
  });
  root.after(async () => {
    await path.close();
    untracefs?.();
  });
  for (const row of rows) {
    test(`${row.name} (${path.name})`, { timeout: 120_000, skip: root.skip || (row.unsupported?.() ?? false) }, async (t) => {
      const run = await path.start(row);
      t.after(() => run.kill());
      // The row's own things (sockets, files) go once the tool has stopped, before the checks
      // of what the run left, or with the test when it failed earlier.
      const cleanups = new Cleanups();
      t.after(() => cleanups.run());
      const tool = output(run);
      await tool.waitFor(row.ready, 60_000);
      const afterStop = await row.exercise(tool, cleanups);

      const held = bpfIdsExcept(bpfIdsHeldBy(await run.bpfHolder()), run.heldBefore);
      assert.ok(held.map.size > 0, 'the run holds its maps');
      const loaded = programNames(held.prog);
      for (const name of row.programs) assert.ok(loaded.some((l) => isKernelName(l, name)), `${name} is loaded (loaded: ${loaded.join(', ')})`);
      for (const name of row.notLoaded ?? []) assert.ok(!loaded.some((l) => isKernelName(l, name)), `${name} is not loaded (loaded: ${loaded.join(', ')})`);

      const code = await run.interrupt();
      assert.equal(code, 0, `exit status after SIGINT\nstderr:\n${run.stderr()}`);
      afterStop?.(run.stdout());
      await cleanups.run();
      assert.deepEqual(await stillLoaded(held), [], 'eBPF objects of the run are still loaded after it ended');
      await run.assertNothingLeft();
    });
  }
}
