// tc programs of a shim server killed with SIGKILL (issue 13, item 10), on real containerd. With
// tcx links (Linux 6.6+) the kernel detaches them with the process. Where a filter is attached
// through netlink (older kernels; WASMBPF_TC_ATTACH=netlink forces it here) nobody owns it: the
// task's journal in its bundle lists it, and the shim's `delete`, which containerd runs after
// the server died, removes it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, REPO_ROOT, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { ctrRunnable } from '../test/helpers/ctr-image.ts';
import { FIXTURE_DIR } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';
import type { Cleanup } from '../test/helpers/cleanup.ts';

const root = rootOnly('runs containerd and its shims');

const PKTCOUNT = 'localhost/wasmbpf-test/pktcount:tc';
const loaded = (name: string) => (JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { name?: string }[]).filter((p) => p.name === name).length;
const tcFilters = (dev: string) => execFileSync('tc', ['filter', 'show', 'dev', dev, 'ingress'], { encoding: 'utf8' }).trim();

function pktcountImage(): string {
  const raw = join(FIXTURE_DIR, 'pktcount-raw.tar');
  execFileSync(join(REPO_ROOT, 'bin', 'wasmbpf'), ['build', join(REPO_ROOT, 'examples', 'pktcount'), '-t', PKTCOUNT, '-o', raw], {
    env: { ...process.env, WASMBPF_HOME: join(FIXTURE_DIR, 'home') }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return ctrRunnable(raw, join(FIXTURE_DIR, 'pktcount.tar'));
}

function vethPair(t: Cleanup, suffix: string): string {
  const dev = `wbtj${process.pid % 10000}${suffix}`;
  spawnSync('ip', ['link', 'del', dev]);
  execFileSync('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  execFileSync('ip', ['link', 'set', dev, 'up']);
  t.after(() => void spawnSync('ip', ['link', 'del', dev]));
  return dev;
}

async function killServerUnderTc(t: Cleanup, env: Record<string, string>, suffix: string): Promise<{ dev: string; journal: string[] }> {
  const ctd = await Containerd.startFor(t, { env, shimConfig: '[shim]\nidle-timeout = "0s"\n[policy]\nallowed-program-types = ["*"]\n' });
  const dev = vethPair(t, suffix);
  const id = `tcj-${suffix}`;
  await ctd.ctrOk(['images', 'import', pktcountImage()]);
  const before = loaded('count_tc');
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, PKTCOUNT, id, 'pktcount', '-t', dev]);
  await waitFor('count_tc loaded and attached', () => loaded('count_tc') > before || undefined);
  const bundleJournal = join(ctd.state, 'io.containerd.runtime.v2.task', ctd.namespace, id, 'wasmbpf-tc-filters');
  const journal = existsSync(bundleJournal) ? readdirSync(bundleJournal) : [];
  for (const pid of shimPids(ctd.socket)) process.kill(pid, 'SIGKILL');
  // containerd notices, runs the shim's `delete` for the task, and drops it
  await waitFor(`${id} gone`, async () => !(await ctd.ctrOk(['task', 'ls'])).includes(id) || undefined, 30_000);
  await waitFor('count_tc unloaded', () => loaded('count_tc') === before || undefined);
  assert.equal(tcFilters(dev), '', 'no filter left on the interface');
  await ctd.ctr(['containers', 'delete', id]);
  return { dev, journal };
}

test('kill -9 of a server with a tcx-attached tc program: the kernel detaches it, no journal needed', root.options, async (t) => {
  const { journal } = await killServerUnderTc(t, {}, 'x');
  assert.deepEqual(journal, [], 'a tcx link needs no record');
});

test('kill -9 of a server with a netlink tc filter: its journal lists it and the shim\'s delete removes it and its program', root.options, async (t) => {
  const { journal } = await killServerUnderTc(t, { WASMBPF_TC_ATTACH: 'netlink' }, 'n');
  assert.equal(journal.length, 1, 'the filter was recorded in the bundle while attached');
});
