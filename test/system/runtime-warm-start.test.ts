// Warm starts (runtime/worker-pool.ts, runtime/module-cache.ts) on the real kernel: a module
// taken from a pool's ready worker runs as a cold one does and reports its start-up phases in
// order, the pool makes a new spare, one compile serves every start of the same bytes and cap,
// and a running module's usage is its own thread's CPU and its own memory.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileModule, WorkerPool, type ModulePhase } from '../../runtime/index.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { buildLimitFixtures, type LimitFixtures } from '../helpers/limits-guest.ts';
import { leftAfterRelease } from '../helpers/bpf-state.ts';
import { runModule } from '../helpers/module-run.ts';
import { rootOnly } from '../helpers/root.ts';
import { waitFor } from '../helpers/wait.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
let limits: LimitFixtures;
before(() => {
  fx = buildRuntimeFixtures();
  limits = buildLimitFixtures();
});
after(() => {
  fs.rmSync(fx.dir, { recursive: true, force: true });
  fs.rmSync(limits.dir, { recursive: true, force: true });
});


test('a module from a warm pool runs, reports its phases in order, and the pool makes a new spare', root.options, async (t) => {
  const pool = new WorkerPool(1);
  t.after(() => pool.close());
  await waitFor('the first spare', () => pool.spareCount === 1, 10_000);
  await sleep(300); // the spare has loaded its code by now (it says 'ready' within ~50 ms here)

  const phases: [ModulePhase, number][] = [];
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', 'ring', '2000'], onPhase: (p, at) => phases.push([p, at]) }, pool);
  t.after(() => r.close());
  assert.equal(pool.spareCount, 0, 'the spare was taken');
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '2000']);
  const status = await r.module.exited;
  assert.equal(status.code, 0, r.output());
  assert.match(r.output(), /seen=2000 out_of_order=0 gaps=0/);

  assert.deepEqual(phases.map(([p]) => p), ['worker-ready', 'compiled', 'instantiated', 'bpf-loaded', 'attached']);
  for (let i = 1; i < phases.length; i++) assert.ok(phases[i]![1] >= phases[i - 1]![1] - 1, `phases in time order: ${JSON.stringify(phases)}`);
  await waitFor('a new spare', () => pool.spareCount === 1, 10_000);
  assert.deepEqual(await leftAfterRelease('wbt_'), { progs: [], maps: [] });
});

test('one compile per module bytes and memory cap', async () => {
  const wasm = fs.readFileSync(fx.probeWasm);
  const a = await compileModule(wasm, 64 << 20);
  const b = await compileModule(Uint8Array.from(wasm), 64 << 20);
  assert.equal(a, b, 'the same bytes with the same cap are compiled once');
  const c = await compileModule(wasm, 32 << 20);
  assert.notEqual(a, c, 'another cap is another module (the cap is written into it)');
  await assert.rejects(compileModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]), 64 << 20), WebAssembly.CompileError);
});

test("usage is the module's own thread CPU and memory", async (t) => {
  const r = runModule(limits.dir, { wasm: fs.readFileSync(limits.guest), args: ['guest', 'spin'] });
  t.after(() => r.close());
  await r.waitFor('ready');
  await sleep(400);
  const usage = await r.module.usage();
  const processCpuNs = (process.cpuUsage().user + process.cpuUsage().system) * 1000;
  assert.ok(usage.cpuUserNs + usage.cpuSystemNs >= 200e6, `the spinning thread used >= 200 ms of CPU: ${JSON.stringify(usage)}`);
  assert.ok(usage.cpuUserNs + usage.cpuSystemNs < processCpuNs, 'less than the whole process');
  assert.ok(usage.wasmMemoryBytes >= 65536 && usage.wasmMemoryBytes % 65536 === 0, `Wasm memory in pages: ${usage.wasmMemoryBytes}`);
  assert.ok(usage.heapUsedBytes > 0 && usage.heapUsedBytes < usage.heapLimitBytes, `heap ${usage.heapUsedBytes} of ${usage.heapLimitBytes}`);
  r.module.stop('SIGKILL');
  assert.equal((await r.module.exited).code, 137);
  assert.deepEqual(await r.module.usage(), { cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 });
});
