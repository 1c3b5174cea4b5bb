// runtime/index.ts loads nothing native on import: the layers above import it at the top of
// files that must start on a node without libbpf (the shim's `start` and `delete`, the CLI's
// other commands), and a process learns of a missing libbpf only when it asks to run a module.
// Each test file runs in a process of its own, so no earlier import has opened libbpf here.
import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.WASMBPF_LIBBPF = '/nonexistent/libbpf.so.1';

test('importing the runtime, the container layer, the shim and the CLI opens no libbpf; running a module does', async () => {
  const runtime = await import('../../runtime/index.ts');
  await import('../../container/index.ts');
  await import('../../shim/serve.ts');
  await import('../../shim/delete.ts');
  await import('../../cli/commands/run.ts');
  assert.equal(typeof runtime.compileModule, 'function', 'what needs no libbpf is there to use');
  await assert.rejects(runtime.loadModuleRunner(), { code: 'WASMBPF_LIBBPF_MISSING', message: /\/nonexistent\/libbpf\.so\.1/ });
  await assert.rejects(runtime.removeJournaledTcFilters('/nonexistent/journal'), { code: 'WASMBPF_LIBBPF_MISSING' });
});
