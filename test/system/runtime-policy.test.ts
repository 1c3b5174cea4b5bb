// The eBPF policy enforced on the real kernel: a module outside its policy gets EPERM with the
// rule named on its stderr, loads nothing, and one inside it runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import type { EbpfPolicy } from '../../runtime/index.ts';
import { runToEnd } from '../helpers/module-run.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../fixtures/runtime/build.ts';
import { bpfObjectsNamed } from '../helpers/bpf-state.ts';

let fx: RuntimeFixtures;
before(() => {
  fx = buildRuntimeFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

function runWith(policy: EbpfPolicy, args: string[], during?: () => void): Promise<{ code: number; out: string }> {
  return runToEnd(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', ...args], policy }, during);
}

test('a program type outside the policy is refused at load', async () => {
  const { code, out } = await runWith({ programTypes: ['tracepoint'] }, ['exit', '0']);
  assert.equal(code, 10, out); // the guest's "load failed"
  assert.match(out, /policy: program 'wbt_on_ring' is of type 'uprobe'/);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});

test('a map type outside the policy is refused at load', async () => {
  const { code, out } = await runWith({ mapTypes: ['hash', 'array', 'ringbuf'] }, ['exit', '0']);
  assert.equal(code, 10, out);
  assert.match(out, /policy: map 'wbt_perf' is a perf_event_array/);
});

test('an attach target outside the policy gets EPERM; one inside runs', async () => {
  const refused = await runWith({ attachTargets: ['uprobe:*:trigger_perf'] }, ['ring', '10']);
  assert.match(refused.out, /policy: program 'wbt_on_ring' may not attach to 'uprobe:.*:trigger_ring'/);
  assert.equal(refused.code, 11, refused.out); // the guest's "attach failed"
  const allowed = await runWith({ programTypes: ['uprobe', 'xdp', 'tc', 'cgroup_skb'], attachTargets: ['uprobe:*:trigger_*'] }, ['ring', '50'],
    () => execFileSync(fx.trigger, ['ring', '50']));
  assert.equal(allowed.code, 0, allowed.out);
  assert.match(allowed.out, /seen=50/);
});
