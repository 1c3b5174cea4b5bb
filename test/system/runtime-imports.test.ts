// A module importing what the runtime does not provide is refused when it is compiled, naming the
// import and the import modules there are (issue 13, item 5); the list the check uses is the
// host's real one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WASI } from 'node:wasi';
import { after, test } from 'node:test';
import { compileModule } from '../../runtime/module-cache.ts';
import { HOST_IMPORTS, UnknownImportError, WASI_FUNCTIONS } from '../../runtime/wasm/provided-imports.ts';
import { foreignImportWasm } from '../helpers/foreign-import.ts';
import { QuietLibbpfLog } from '../helpers/in-process-host.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbimports-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the import list the compile check uses is what the host and node:wasi really provide', () => {
  const log = new QuietLibbpfLog();
  try {
    const { host } = log.host();
    const real = Object.fromEntries(Object.entries(host.imports()).map(([m, fns]) => [m, Object.keys(fns as object).sort()]));
    assert.deepEqual(real, Object.fromEntries(Object.entries(HOST_IMPORTS).map(([m, fns]) => [m, [...fns].sort()])));
  } finally {
    log.close();
  }
  assert.deepEqual([...WASI_FUNCTIONS].sort(), Object.keys(new WASI({ version: 'preview1' }).wasiImport).sort());
});

test('compileModule refuses a module importing an unknown module, or an unknown function of a known one, naming it', async () => {
  await assert.rejects(compileModule(foreignImportWasm('host_func_test', 'run'), 1 << 24), (error: unknown) => {
    assert.ok(error instanceof UnknownImportError);
    assert.equal(error.code, 'WASMBPF_UNKNOWN_IMPORT');
    assert.match(error.message, /imports function host_func_test\.run, which wasmbpf does not provide: the runtime does not provide an import module "host_func_test"; it provides the import modules wasi_snapshot_preview1, wasm_bpf, callback-wrapper, wasmbpf_v1/);
    return true;
  });
  await assert.rejects(compileModule(foreignImportWasm('wasm_bpf', 'wasm_bpf_prog_test_run'), 1 << 24),
    /imports function wasm_bpf\.wasm_bpf_prog_test_run, which wasmbpf does not provide: the runtime's wasm_bpf has no function "wasm_bpf_prog_test_run"/);
});

test('wasmbpf run of such a module exits 1 with that message, not V8\'s LinkError text', () => {
  const file = path.join(dir, 'foreign.wasm');
  fs.writeFileSync(file, foreignImportWasm('host_func_test', 'run'));
  const r = spawnSync(path.join(repo, 'bin', 'wasmbpf'), ['run', file], { encoding: 'utf8', env: { ...process.env, WASMBPF_DEV: '1' }, timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the module imports function host_func_test\.run, which wasmbpf does not provide/);
  assert.match(r.stderr, /it provides the import modules wasi_snapshot_preview1, wasm_bpf, callback-wrapper, wasmbpf_v1/);
  assert.doesNotMatch(r.stderr, /module is not an object or function|Import #0/);
});
