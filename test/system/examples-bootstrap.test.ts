// bootstrap under `wasmbpf run`: it sees a process's exec and its exit with the right exit
// code and lifetime; with -d (rodata set before load) only long-lived exits are reported.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileExample, ensureTracefs, runCommand, ToolRun } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let tool: CompiledTool;
before(async () => { tool = await compileExample('bootstrap'); });

const PROGS = ['handle_exec', 'handle_exit'];

test('bootstrap prints an exec and its exit with exit code and duration', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, [], PROGS);
  t.after(() => run.kill());
  await run.waitFor(/^TIME\s+EVENT COMM\s+PID\s+PPID\s+FILENAME\/EXIT CODE$/m);

  const cmd = await runCommand('/bin/sh', ['-c', 'sleep 0.3; exit 7']);
  assert.equal(cmd.code, 7);
  await run.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXEC  sh\\s+${cmd.pid}\\s+${process.pid}\\s+/bin/sh$`, 'm'));
  const exit = await run.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXIT  sh\\s+${cmd.pid}\\s+${process.pid}\\s+\\[7\\] \\((\\d+)ms\\)$`, 'm'));
  const ms = Number(exit[1]);
  assert.ok(ms >= 290 && ms < 5000, `duration ${ms}ms for a process that slept 300ms`);
  await run.stopAndCheck();
});

test('bootstrap -d reports only exits of processes that lived long enough', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, ['-d', '200'], PROGS);
  t.after(() => run.kill());
  await run.waitFor(/^TIME/m);
  const short = await runCommand('/bin/sh', ['-c', 'exit 3']);
  const long = await runCommand('/bin/sh', ['-c', 'sleep 0.3; exit 5']);
  await run.waitFor(new RegExp(`EXIT  sh\\s+${long.pid}\\s+\\d+\\s+\\[5\\] \\(\\d+ms\\)$`, 'm'));
  await run.stopAndCheck();
  assert.doesNotMatch(run.stdout, new RegExp(`\\s${short.pid}\\s`), 'a 0 ms process passed the 200 ms filter');
  assert.doesNotMatch(run.stdout, / EXEC /, 'with -d no exec is reported');
});
