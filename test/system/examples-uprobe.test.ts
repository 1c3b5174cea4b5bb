// uprobe under `wasmbpf run` with a function its target does not have: the attach fails, the
// tool says which, exits 1 and leaves nothing loaded. (Its events: examples-cli.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uprobeTarget } from '../helpers/example-table.ts';
import { compileExamples, ToolRun } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

test('uprobe names the problem when the function does not exist', { ...root.options, timeout: 60000 }, async (t) => {
  const examples = await compileExamples(['uprobe']);
  t.after(() => examples.remove());
  const run = new ToolRun(examples.tool('uprobe').wasmPath, [uprobeTarget(), 'no_such_function'], ['uprobe_entry']);
  t.after(() => run.kill());
  const { code } = await run.exited;
  assert.equal(code, 1);
  assert.match(run.stderr, /failed to attach to .*uprobe_target:no_such_function/);
  run.assertNothingLeft();
});
