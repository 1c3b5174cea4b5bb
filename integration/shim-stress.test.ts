// Many tasks through one containerd: 20 in a row and 5 at once, all start and stop, and
// afterwards no shim process, no eBPF program or map of theirs, and containerd's and our own
// fd counts back at their baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { execsnoopImage, probeImage } from '../test/helpers/shim-images.ts';
import { fdCount, shimPids } from '../test/helpers/shim-observe.ts';
import { bpfObjects } from '../test/helpers/bpf-state.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const PROBE = 'localhost/wasmbpf-test/probe:v1';
const EXECSNOOP = 'localhost/wasmbpf-test/execsnoop:shim';

test('20 tasks in a row and 5 at once start and stop; nothing of theirs remains', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage(PROBE)]);
  await ctd.ctrOk(['images', 'import', execsnoopImage(EXECSNOOP)]);
  const bpfBefore = bpfObjects('handle_exec', 'execsnoo');
  // one warm-up run so containerd's lazily opened fds (snapshotter, content) are in the baseline
  await ctd.ctrOk(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, PROBE, 'warm', '/probe.wasm', 'exit', '0']);
  const ctdFds = fdCount(ctd.pid);
  const ownFds = fdCount(process.pid);

  for (let i = 0; i < 20; i++) {
    const r = await ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, PROBE, `row${i}`, '/probe.wasm', 'exit', String(i % 4)]);
    assert.equal(r.code, i % 4, `row${i}: ${r.stderr}`);
  }

  // 5 eBPF tools at once, each stopped by SIGTERM once all are running
  const ids = [0, 1, 2, 3, 4].map((i) => `par${i}`);
  await Promise.all(ids.map((id) => ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, EXECSNOOP, id])));
  await waitFor('5 running tasks', async () => {
    const rows = (await ctd.ctrOk(['task', 'ls'])).split('\n').filter((l) => /^par\d\s.*RUNNING/.test(l));
    return rows.length === 5 || undefined;
  });
  await waitFor('5 execsnoop programs loaded', () => bpfObjects('handle_exec', 'execsnoo').programs >= bpfBefore.programs + 5 || undefined);
  await Promise.all(ids.map((id) => ctd.ctrOk(['task', 'kill', id])));
  await waitFor('5 stopped tasks', async () => {
    const rows = (await ctd.ctrOk(['task', 'ls'])).split('\n').filter((l) => /^par\d\s.*STOPPED/.test(l));
    return rows.length === 5 || undefined;
  });
  for (const id of ids) {
    const d = await ctd.ctr(['task', 'delete', id]);
    assert.equal(d.code, 0, d.stderr);
    assert.doesNotMatch(d.stderr, /error/i); // execsnoop ends its loop on SIGTERM and exits 0
    await ctd.ctrOk(['containers', 'delete', id]);
  }

  await waitFor('every shim to exit', () => shimPids(ctd.socket).length === 0 || undefined);
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), bpfBefore);
  await waitFor('containerd fds back at baseline', () => fdCount(ctd.pid) <= ctdFds || undefined, 10_000).catch(() => {
    assert.equal(fdCount(ctd.pid), ctdFds, 'containerd fds');
  });
  assert.ok(fdCount(process.pid) <= ownFds, `test process fds ${fdCount(process.pid)} > ${ownFds}`);
});
