// The CRI shape without the CRI plugin: containers carrying the annotations the CRI plugin sets
// (io.kubernetes.cri.sandbox-id, io.kubernetes.cri.container-type), run through ctr. The pod's
// sandbox container and a native sidecar are handed to runc (via containerd's runc shim), the
// Wasm container runs in the pod's one wasmbpf shim server, and everything goes away at the end.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { nativeImage, probeImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const NATIVE = 'localhost/wasmbpf-test/native:v1';
const PROBE = 'localhost/wasmbpf-test/probe:v1';

function runcShimPids(address: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      return argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(address) ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

test('a pod: sandbox and native sidecar go to runc, the Wasm container to the pod\'s one wasmbpf server', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  await ctd.ctrOk(['images', 'import', probeImage(PROBE)]);
  const pod = ['--annotation', 'io.kubernetes.cri.sandbox-id=pod1'];
  const run = (...args: string[]) => ['run', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...pod, ...args];

  await ctd.ctrOk(run('-d', '--annotation', 'io.kubernetes.cri.container-type=sandbox', NATIVE, 'sandbox1', '/native', 'sleep'));
  await ctd.ctrOk(run('-d', '--annotation', 'io.kubernetes.cri.container-type=container', PROBE, 'wasm1', '/probe.wasm', 'sleep'));
  const sidecar = await ctd.ctr(run('--rm', '--annotation', 'io.kubernetes.cri.container-type=container', NATIVE, 'side1', '/native', 'exit', '5'));
  assert.equal(sidecar.code, 5, sidecar.stderr);
  assert.match(sidecar.stdout, /native argc=3 \[\/native\] \[exit\] \[5\]/);

  const rows = (await ctd.ctrOk(['task', 'ls'])).split('\n');
  const sandboxPid = Number(rows.find((l) => l.startsWith('sandbox1 '))?.split(/\s+/)[1]);
  assert.match(rows.find((l) => l.startsWith('sandbox1 ')) ?? '', /RUNNING/);
  assert.match(rows.find((l) => l.startsWith('wasm1 ')) ?? '', /RUNNING/);
  // the sandbox is a real process run by runc; the Wasm task lives in the shim server
  assert.match(readlinkSync(`/proc/${sandboxPid}/exe`), /native/);
  const servers = shimPids(ctd.socket);
  assert.equal(servers.length, 1, `one wasmbpf server for the pod, got ${servers.join(',')}`);
  assert.equal(runcShimPids(ctd.socket).length, 1, 'one runc shim for the pod');
  assert.match(ctd.log(), /handing the container to runc.*id=sandbox1.*pause/);

  // lifecycle through the relay and locally
  for (const id of ['wasm1', 'sandbox1']) {
    await ctd.ctrOk(['task', 'kill', id]);
    await waitFor(`${id} stopped`, async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => l.startsWith(`${id} `) && l.includes('STOPPED')) || undefined);
    const deleted = await ctd.ctr(['task', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await ctd.ctrOk(['containers', 'delete', id]);
  }
  await waitFor('both shims to exit', () => (shimPids(ctd.socket).length === 0 && runcShimPids(ctd.socket).length === 0) || undefined);
});
