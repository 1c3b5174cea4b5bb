// runqlat and biolatency under `wasmbpf run`: while the test makes scheduler and disk
// activity, each prints a log2 histogram with counts every interval (read by walking the map
// with get_next_key), prints the last one on SIGINT, and ends cleanly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { compileExample, ensureTracefs, runCommand, ToolRun } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let runqlat: CompiledTool;
let biolatency: CompiledTool;
before(async () => {
  runqlat = await compileExample('runqlat');
  biolatency = await compileExample('biolatency');
});

/** Every histogram row: [low, high, count]. */
function rows(text: string): [number, number, number][] {
  return [...text.matchAll(/^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|[* ]*\+?\|$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
}

test('runqlat prints a run queue latency histogram with counts', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(runqlat.wasmPath, ['1'], ['sched_wakeup', 'sched_wakeup_new', 'sched_switch']);
  t.after(() => run.kill());
  await run.waitFor(/^Tracing run queue latency\.\.\. Hit Ctrl-C to end\.$/m);
  for (let i = 0; i < 20; i++) await runCommand('/bin/true', []); // wakeups and switches
  await run.waitFor(/^\s+usecs\s+: count\s+distribution$/m, 10000);
  await run.waitFor(/^\s+\d+ -> \d+\s+: [1-9]\d*\s+\|/m);
  const r = rows(run.stdout);
  assert.ok(r.length > 0, run.stdout);
  for (const [low, high] of r) assert.ok(low <= high && ((high + 1) & high) === 0, `log2 bucket ${low} -> ${high}\n${run.stdout}`);
  assert.ok(r.reduce((sum, [, , c]) => sum + c, 0) > 0, `the histogram counts something\n${run.stdout}`);
  await run.stopAndCheck();
});

test('biolatency prints a block I/O latency histogram for direct writes', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  // /var/tmp, not /tmp: it must be on a block device (tmpfs does no block I/O).
  const dir = mkdtempSync('/var/tmp/wasmbpf-biolatency-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = new ToolRun(biolatency.wasmPath, ['-D', '1'], ['block_rq_issue', 'block_rq_complete']);
  t.after(() => run.kill());
  await run.waitFor(/^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/m);
  const dd = await runCommand('dd', ['if=/dev/zero', `of=${path.join(dir, 'data')}`, 'bs=4k', 'count=64', 'oflag=direct,sync']);
  assert.equal(dd.code, 0);
  await run.waitFor(/^disk = \d+:\d+$/m, 10000);
  // The writes may straddle an interval: add up the histograms printed until all are counted.
  const deadline = Date.now() + 10000;
  let total = 0;
  while ((total = rows(run.stdout).reduce((sum, [, , c]) => sum + c, 0)) < 64 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(total >= 64, `at least the 64 direct writes are counted (got ${total})\n${run.stdout}`);
  // block_rq_insert's autoload was turned off (no -Q): it must not be loaded.
  const loaded = run.newProgramNames();
  assert.ok(loaded.includes('block_rq_issue'), `loaded: ${loaded.join(', ')}`);
  assert.ok(!loaded.includes('block_rq_insert'), `loaded: ${loaded.join(', ')}`);
  await run.stopAndCheck();
});
