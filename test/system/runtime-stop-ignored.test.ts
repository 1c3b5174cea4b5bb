// Guests that do not look at EINTR (issue 13, item 4). wasm-bpf's examples poll in a
// `while (!exiting)` loop whose flag a signal handler would set, which a Wasm guest cannot have:
// told EINTR, they poll again. Once a stop has been delivered, a guest that blocks in the host
// again has shown it will not stop, and is ended then (not after the grace period) with the
// stop's status, 128 + the signal, as if the grace period had run out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { buildLimitFixtures, type LimitFixtures } from '../helpers/limits-guest.ts';
import { leftAfterRelease } from '../helpers/bpf-state.ts';
import { runModule } from '../helpers/module-run.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
let limits: LimitFixtures;
before(() => {
  fx = buildRuntimeFixtures({ rust: false });
  limits = buildLimitFixtures();
});
after(() => {
  fs.rmSync(fx.dir, { recursive: true, force: true });
  fs.rmSync(limits.dir, { recursive: true, force: true });
});

/**
 * How long from the stop to the module's end must stay under. The mechanism ends the guest at its
 * next blocking call, within one 100 ms poll slice (about 100 to 200 ms here); the bound is looser
 * so a loaded CI machine does not fail it, and still far from the 30 s grace period it replaces.
 */
const PROMPT_MS = 1000;

test('a guest that polls again after -EINTR (wasm-bpf\'s loop) ends right after SIGINT with 130, told why, nothing left', root.options, async () => {
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', 'deaf'], gracePeriodMs: 30_000 });
  await r.waitFor('ready');
  await new Promise((res) => setTimeout(res, 300)); // into its poll loop
  const stoppedAt = performance.now();
  r.module.stop('SIGINT');
  const status = await r.module.exited;
  const took = performance.now() - stoppedAt;
  r.close();
  assert.equal(status.code, 130, r.output());
  assert.equal(status.signal, 'SIGINT');
  assert.equal(r.output().match(/^eintr$/gm)?.length, 1, `told EINTR once, then ended:\n${r.output()}`);
  assert.match(r.output(), /wasmbpf: the module blocked in a host call again after it was told to stop \(EINTR\)/);
  assert.ok(took < PROMPT_MS, `ended ${took.toFixed(0)} ms after the stop (grace period 30 s)`);
  assert.deepEqual(await leftAfterRelease('wbt_'), { progs: [], maps: [] }, 'its programs and maps are gone');
});

test('a guest that sleeps again whatever sleep() says ends right after SIGTERM with 143', async () => {
  const r = runModule(limits.dir, { wasm: fs.readFileSync(limits.guest), args: ['guest', 'sleeploop'], gracePeriodMs: 30_000 });
  await r.waitFor('ready');
  await new Promise((res) => setTimeout(res, 100));
  const stoppedAt = performance.now();
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  const took = performance.now() - stoppedAt;
  r.close();
  assert.equal(status.code, 143, r.output());
  assert.equal(status.signal, 'SIGTERM');
  assert.ok(took < PROMPT_MS, `ended ${took.toFixed(0)} ms after the stop (grace period 30 s)`);
});

test('a guest that honours EINTR is not hurried: it is told once and ends on its own with its own status', root.options, async () => {
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', 'block'], gracePeriodMs: 30_000 });
  await r.waitFor('ready');
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0, r.output());
  assert.match(r.output(), /interrupted/);
  assert.doesNotMatch(r.output(), /blocked in a host call again/);
});

test('told of a stop, a guest still gets the records already there from one more poll; only a poll that would block ends it', root.options, async () => {
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', 'drain'], gracePeriodMs: 30_000 });
  await r.waitFor('ready');
  r.module.stop('SIGTERM');
  await r.waitFor('eintr');
  execFileSync(fx.trigger, ['ring', '50']); // while the guest waits without blocking
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0, r.output());
  const drained = Number(r.output().match(/drained=(-?\d+)/)?.[1]);
  assert.ok(drained > 0, `records handed over after the stop:\n${r.output()}`);
});
