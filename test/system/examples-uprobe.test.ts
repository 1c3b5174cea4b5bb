// uprobe under `wasmbpf run`: the example's native target is built with clang-19, the tool
// attaches an entry and a return probe to uprobe_add by name, and every call's arguments and
// return value are printed, in call order, for the target's pid.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { compileExample, ROOT, runCommand, ToolRun } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let tool: CompiledTool;
let dir: string;
let target: string;
before(async () => {
  tool = await compileExample('uprobe');
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-uprobe-'));
  target = path.join(dir, 'uprobe_target');
  execFileSync('clang-19', ['-O1', '-g', '-o', target, path.join(ROOT, 'examples/uprobe/uprobe_target.c')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('uprobe prints each call\'s arguments and return value', { timeout: 60000 }, async (t) => {
  const run = new ToolRun(tool.wasmPath, [target, 'uprobe_add'], ['uprobe_entry', 'uprobe_return']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+COMM\s+EVENT\s+CALL$/m);

  const calls = await runCommand(target, ['4']);
  assert.equal(calls.code, 0);
  assert.match(calls.stdout, /uprobe_add\(4, 40\) = 44/);
  const expected: string[] = [];
  for (let i = 1; i <= 4; i++) {
    expected.push(`${calls.pid} uprobe_target ENTRY uprobe_add(${i}, ${10 * i})`);
    expected.push(`${calls.pid} uprobe_target RETURN uprobe_add() = ${11 * i}`);
  }
  await run.waitFor(new RegExp(`RETURN uprobe_add\\(\\) = 44$`, 'm'));
  const seen = run.stdout.split('\n').filter((l) => l.startsWith(`${calls.pid} `)).map((l) => l.replace(/\s+/g, ' ').trim());
  assert.deepEqual(seen, expected);
  await run.stopAndCheck();
});

test('uprobe names the problem when the function does not exist', { timeout: 60000 }, async (t) => {
  const run = new ToolRun(tool.wasmPath, [target, 'no_such_function'], ['uprobe_entry']);
  t.after(() => run.kill());
  const { code } = await run.exited;
  assert.equal(code, 1);
  assert.match(run.stderr, /failed to attach to .*uprobe_target:no_such_function/);
  run.assertNothingLeft();
});
