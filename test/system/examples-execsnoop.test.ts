// execsnoop under `wasmbpf run`: it prints a command run while it traces, with the command's
// full argv (a unique argument proves it is this exec), and leaves nothing loaded on SIGINT.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileExample, ensureTracefs, runCommand, ToolRun, uniqueToken } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let tool: CompiledTool;
before(async () => { tool = await compileExample('execsnoop'); });

test('execsnoop prints an exec with its full argv, and stops cleanly', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, [], ['handle_exec']);
  t.after(() => run.kill());
  await run.waitFor(/^PCOMM\s+PID\s+PPID\s+RET ARGS$/m);

  const token = uniqueToken('wasmbpf-execsnoop');
  const cmd = await runCommand('/bin/echo', [token, 'second arg']);
  assert.equal(cmd.code, 0);
  const m = await run.waitFor(new RegExp(`^echo\\s+(\\d+)\\s+(\\d+)\\s+0 /bin/echo ${token} second arg$`, 'm'));
  assert.equal(Number(m[1]), cmd.pid, 'the PID column is the exec\'d process');
  assert.equal(Number(m[2]), process.pid, 'the PPID column is the test, which spawned it');
  await run.stopAndCheck();
});

test('execsnoop -u keeps only one user\'s execs', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, ['-u', '4242'], ['handle_exec']);
  t.after(() => run.kill());
  await run.waitFor(/^PCOMM/m);
  const asRoot = uniqueToken('wasmbpf-execsnoop-root');
  const asUser = uniqueToken('wasmbpf-execsnoop-4242');
  await runCommand('/bin/echo', [asRoot]); // uid 0: filtered out in the kernel
  await runCommand('setpriv', ['--reuid', '4242', '--regid', '4242', '--clear-groups', '/bin/echo', asUser]);
  await run.waitFor(new RegExp(`/bin/echo ${asUser}$`, 'm'));
  await run.stopAndCheck();
  assert.doesNotMatch(run.stdout, new RegExp(asRoot));
});
