// `ctr task exec` (and `kubectl exec`) into a container the shim handed to runc: the exec'd
// process comes and goes, the container stays ours to kill and delete (issue 13, item 1).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { nativeImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const NATIVE = 'localhost/wasmbpf-test/native:exec';

/** Pids of runc shims started for this containerd (their cmdline names its socket). */
function runcShims(ctd: Containerd): number[] {
  const out = spawnSync('pgrep', ['-f', `containerd-shim-runc-v2 .*-address ${ctd.socket}`], { encoding: 'utf8' }).stdout.trim();
  return out ? out.split('\n').map(Number) : [];
}

test('ctr task exec into a container handed to runc: the exec runs and is deleted, the container stays listed, kill and delete end it and its runc shim', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, NATIVE, 'ex1', '/native', 'sleep']);

  const exec = await ctd.ctr(['task', 'exec', '--fifo-dir', ctd.fifoDir, '--exec-id', 'e1', 'ex1', '/native', 'exit', '0']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, /native argc=3 \[\/native\] \[exit\] \[0\]/);
  const failing = await ctd.ctr(['task', 'exec', '--fifo-dir', ctd.fifoDir, '--exec-id', 'e2', 'ex1', '/native', 'exit', '4']);
  assert.equal(failing.code, 4, failing.stderr);

  // ctr has deleted both execs (their Delete carries exec_id): the container is still there.
  assert.match((await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => l.startsWith('ex1 ')) ?? '', /^ex1\s+\d+\s+RUNNING/);
  const pids = await ctd.ctrOk(['task', 'ps', 'ex1']);
  assert.match(pids, /^\d+/m, pids);
  assert.equal(runcShims(ctd).length, 1, 'the runc shim that runs ex1');

  await ctd.ctrOk(['task', 'kill', 'ex1']);
  await waitFor('ex1 STOPPED', async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => /^ex1\s.*STOPPED/.test(l)) || undefined);
  await ctd.ctrOk(['task', 'delete', 'ex1']);
  await ctd.ctrOk(['containers', 'delete', 'ex1']);
  await waitFor('no wasmbpf or runc shim left', () => (shimPids(ctd.socket).length === 0 && runcShims(ctd).length === 0) || undefined);
});
