// Modules that cannot run fail `ctr run` at Create, before anything runs, with a message that
// says why (issue 13, items 5 and 6): a module with the Wasm magic but truncated bytes, and one
// importing what the runtime does not provide. No task, shim or mount is left.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { rootfsImage } from '../test/helpers/ctr-image.ts';
import { FIXTURE_DIR, probeWasm } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { foreignImportWasm } from '../test/helpers/foreign-import.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

async function failsAtCreate(ctd: Containerd, image: string, id: string, pattern: RegExp): Promise<void> {
  const result = await ctd.ctr(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, image, id]);
  assert.notEqual(result.code, 0, result.stdout);
  // containerd's words for an error of the shim's Create (a Start error reads otherwise).
  assert.match(result.stderr, /failed to create shim task/, result.stderr);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch((await ctd.ctrOk(['task', 'ls'])), new RegExp(`^${id}\\s`, 'm'), 'no task was made');
  await ctd.ctrOk(['containers', 'delete', id]);
}

test('a truncated module and a module importing an unknown function fail ctr run at Create, naming the problem; nothing is left', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const wasm = probeWasm();
  const truncated = rootfsImage('localhost/wasmbpf-test/truncated:v1', join(FIXTURE_DIR, 'truncated.tar'),
    { 'tool.wasm': wasm.subarray(0, Math.floor(wasm.length / 2)) }, ['/tool.wasm']);
  const foreign = rootfsImage('localhost/wasmbpf-test/foreign-import:v1', join(FIXTURE_DIR, 'foreign-import.tar'),
    { 'tool.wasm': foreignImportWasm('host_func_test', 'run') }, ['/tool.wasm']);
  await ctd.ctrOk(['images', 'import', truncated]);
  await ctd.ctrOk(['images', 'import', foreign]);

  await failsAtCreate(ctd, 'localhost/wasmbpf-test/truncated:v1', 'trunc1',
    /the module rootfs file \/tool\.wasm cannot run: it is not valid Wasm: .*(section|length|end|unexpected)/i);
  await failsAtCreate(ctd, 'localhost/wasmbpf-test/foreign-import:v1', 'foreign1',
    /the module rootfs file \/tool\.wasm cannot run: the module imports function host_func_test\.run, which wasmbpf does not provide: .* it provides the import modules wasi_snapshot_preview1, wasm_bpf, callback-wrapper, wasmbpf_v1/);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});
