// opensnoop under `wasmbpf run`: a unique path opened (and failing with ENOENT) by `cat`
// shows up with the pid and error; the -n filter (rodata) keeps other commands out.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileExample, ensureTracefs, runCommand, ToolRun, uniqueToken } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let tool: CompiledTool;
before(async () => { tool = await compileExample('opensnoop'); });

test('opensnoop -n cat shows the unique path cat opens, and only cat', { timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, ['-n', 'cat'], ['tracepoint__syscalls__sys_enter_openat', 'tracepoint__syscalls__sys_exit_openat']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+COMM\s+FD ERR PATH$/m);

  const missing = `/tmp/${uniqueToken('wasmbpf-opensnoop')}`;
  const cat = await runCommand('/bin/cat', [missing]);
  assert.equal(cat.code, 1);
  const other = `/tmp/${uniqueToken('wasmbpf-opensnoop-head')}`;
  await runCommand('/usr/bin/head', [other]); // not cat: filtered out in the kernel
  await run.waitFor(new RegExp(`^${cat.pid}\\s+cat\\s+-1\\s+2 ${missing}$`, 'm'));
  await run.stopAndCheck();
  assert.doesNotMatch(run.stdout, new RegExp(other));
});
