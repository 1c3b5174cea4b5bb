// Resource limits and start-up faults through containerd and the shim: a busy-looping module is
// still ended by `ctr task kill` (143 after the grace period, 137 for SIGKILL) with no shim
// left; wasmbpf.io/memory-limit narrows the module's memory; a node without libbpf fails
// `ctr run` with containerd showing the message that names libbpf.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { rootfsImage } from '../test/helpers/ctr-image.ts';
import { FIXTURE_DIR } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { buildLimitFixtures } from '../test/helpers/limits-guest.ts';
import { rootOnly } from '../test/helpers/root.ts';
import type { Cleanup } from '../test/helpers/cleanup.ts';

const root = rootOnly('runs containerd and its shims');

const fx = buildLimitFixtures();
root.after(() => rmSync(fx.dir, { recursive: true, force: true }));
const IMAGE = 'localhost/wasmbpf-test/h4a-limits:v1';

async function containerd(t: Cleanup): Promise<Containerd> {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', rootfsImage(IMAGE, join(FIXTURE_DIR, 'h4a-limits.tar'), { 'guest.wasm': readFileSync(fx.guest) }, ['/guest.wasm'])]);
  return ctd;
}

const run = (ctd: Containerd, ...args: string[]) => ['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args];

async function killSpinning(ctd: Containerd, id: string, signal: string): Promise<number> {
  const running = ctd.ctr(run(ctd, IMAGE, id, '/guest.wasm', 'spin'));
  await waitFor(`${id} running`, async () => (await ctd.ctr(['task', 'ls'])).stdout.split('\n').some((l) => /^\S+\s+\d+\s+RUNNING/.test(l) && l.startsWith(`${id} `)) || undefined);
  await ctd.ctrOk(['task', 'kill', '-s', signal, id]);
  const result = await running;
  await waitFor(`no shim left after ${id}`, () => shimPids(ctd.socket).length === 0 || undefined);
  return result.code;
}

test('a pure busy loop is ended by ctr task kill: SIGTERM -> 143 after the grace period, SIGKILL -> 137; no shim left', root.options, async (t) => {
  const ctd = await containerd(t);
  assert.equal(await killSpinning(ctd, 'h4a-spin-term', 'SIGTERM'), 143);
  assert.equal(await killSpinning(ctd, 'h4a-spin-kill', 'SIGKILL'), 137);
});

test('wasmbpf.io/memory-limit narrows the module\'s memory: malloc gets NULL at 16 MiB', root.options, async (t) => {
  const ctd = await containerd(t);
  const r = await ctd.ctr(run(ctd, '--annotation', 'wasmbpf.io/memory-limit=16Mi', IMAGE, 'h4a-mem', '/guest.wasm', 'malloc', '1024'));
  assert.equal(r.code, 0, r.stderr);
  const kib = Number(/malloc_null_after_kib=(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(kib > 0 && kib <= 16 * 1024, r.stdout);
  const bad = await ctd.ctr(run(ctd, '--annotation', 'wasmbpf.io/memory-limit=lots', IMAGE, 'h4a-mem-bad', '/guest.wasm'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /wasmbpf\.io\/memory-limit: 'lots' is not a size/);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
  await ctd.ctr(['containers', 'delete', 'h4a-mem-bad']);
});

test('a node without libbpf: ctr run fails with containerd showing the message that names libbpf', root.options, async (t) => {
  process.env.WASMBPF_LIBBPF = join(fx.dir, 'no-such-libbpf.so.1');
  let ctd: Containerd;
  try {
    ctd = await containerd(t);
  } finally {
    delete process.env.WASMBPF_LIBBPF;
  }
  const r = await ctd.ctr(run(ctd, IMAGE, 'h4a-nolibbpf', '/guest.wasm'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot load libbpf \(.*no-such-libbpf\.so\.1\).*install it/);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
  await ctd.ctr(['containers', 'delete', 'h4a-nolibbpf']);
});
