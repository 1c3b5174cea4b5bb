// A tc program goes with the process that attached it (issue 13, item 10): attached as a tcx
// link (Linux 6.6+), whose fd the process holds, it is detached by the kernel when `wasmbpf run`
// (or a shim server) is killed with SIGKILL. A filter attached through netlink (the older way,
// still used where the kernel has no tcx; WASMBPF_TC_ATTACH=netlink forces it) is owned by
// nobody and stays, holding its program. pktcount -t on a veth pair of the test's own.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadedPrograms } from '../helpers/bpf-state.ts';
import { compileExamples, ToolRun, type CompiledExamples } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Cleanup } from '../helpers/cleanup.ts';

const root = rootOnly('loads eBPF programs');

let examples: CompiledExamples;
root.before(async () => {
  examples = await compileExamples(['pktcount']);
});
root.after(() => examples.remove());

const loaded = (name: string) => loadedPrograms().filter((p) => p.name === name).length;
const tcFilters = (dev: string) => execFileSync('tc', ['filter', 'show', 'dev', dev, 'ingress'], { encoding: 'utf8' }).trim();

function vethPair(t: Cleanup): string {
  const dev = `wbtc${process.pid % 100000}`;
  spawnSync('ip', ['link', 'del', dev]);
  execFileSync('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  execFileSync('ip', ['link', 'set', dev, 'up']);
  t.after(() => void spawnSync('ip', ['link', 'del', dev])); // takes the peer, a clsact qdisc and its filters with it
  return dev;
}

async function attachedThenKilled(dev: string, env: Record<string, string> = {}): Promise<ToolRun> {
  const saved = { ...process.env };
  Object.assign(process.env, env); // ToolRun's child inherits the environment
  const run = new ToolRun(examples.tool('pktcount').wasmPath, ['-t', dev], ['count_tc']);
  process.env = saved;
  await run.waitFor(new RegExp(`^Counting packets on ${dev} \\(tc ingress\\)`, 'm'));
  assert.equal(loaded('count_tc'), 1, 'the tc program is loaded while the tool runs');
  return run;
}

test('a tc program attached by wasmbpf run is gone with the process killed -9: a tcx link, no filter left, the program unloaded', root.options, async (t) => {
  const dev = vethPair(t);
  const before = loaded('count_tc');
  const run = await attachedThenKilled(dev);
  assert.equal(tcFilters(dev), '', 'no netlink filter: the program is attached as a tcx link');
  run.child.kill('SIGKILL');
  assert.equal((await run.exited).signal, 'SIGKILL');
  await waitFor('the tc program to be unloaded', () => loaded('count_tc') === before, 10_000);
  assert.equal(tcFilters(dev), '');
});

test('the netlink way (WASMBPF_TC_ATTACH=netlink, what kernels without tcx get) leaves its filter and program after kill -9', root.options, async (t) => {
  const dev = vethPair(t);
  const before = loaded('count_tc');
  const run = await attachedThenKilled(dev, { WASMBPF_TC_ATTACH: 'netlink' });
  assert.match(tcFilters(dev), /count_tc/, 'a netlink filter');
  run.child.kill('SIGKILL');
  await run.exited;
  await new Promise((r) => setTimeout(r, 1000));
  assert.match(tcFilters(dev), /count_tc/, 'the filter outlives the process: nothing owned it');
  assert.equal(loaded('count_tc'), before + 1);
  execFileSync('ip', ['link', 'del', dev]);
  await waitFor('the program to go with the interface', () => loaded('count_tc') === before, 10_000);
});
