// RunningModule.stats() on the real kernel: the records a module got from its ring and perf
// buffers match what the test emitted, its program's run count and run time come from the
// kernel's BPF stats (held on through BPF_ENABLE_STATS while the module runs, released after),
// and the figures stay readable after the module ended.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { startModule } from '../../runtime/start-module.ts';
import { runTimeStatsHolders } from '../../runtime/bpf/bpf-stats.ts';
import { emitRecords, uniqueMarker, wbstatsWasm } from '../helpers/wbstats-image.ts';
import type { ModuleStats, RunningModule } from '../../runtime/contract.ts';
import { rootOnly } from '../helpers/root.ts';
import { waitFor } from '../helpers/wait.ts';

const root = rootOnly('loads eBPF programs');


const attached = (m: RunningModule) => (m.stats().hostCalls.attach_bpf_program ?? 0) >= 1;
const buffer = (s: ModuleStats, kind: string) => s.buffers.find((b) => b.kind === kind);

test('records delivered per buffer, program runs and run time, verified instructions and map memory, during and after the run', root.options, async (t) => {
  const marker = uniqueMarker();
  const holdersBefore = runTimeStatsHolders();
  const out = fs.openSync('/dev/null', 'w');
  const running = startModule({ wasm: fs.readFileSync(wbstatsWasm()), args: ['wbstats', String(marker)], kernelStats: true, stdout: out });
  t.after(async () => {
    await running[Symbol.asyncDispose]();
    fs.closeSync(out);
  });
  await waitFor('attached', () => attached(running), 20_000);
  assert.equal(runTimeStatsHolders(), holdersBefore + 1, 'the module holds kernel BPF stats on');
  emitRecords(marker, 300);
  await waitFor('300 records from each buffer', () => {
    const s = running.stats();
    return buffer(s, 'ringbuf')?.delivered === 300 && buffer(s, 'perf')?.delivered === 300;
  }, 20_000);
  const live = running.stats();
  assert.equal(live.kernelStats, true);
  assert.deepEqual(live.buffers, [
    { map: 'wbstats_ring', kind: 'ringbuf', delivered: 300 },
    { map: 'wbstats_perf', kind: 'perf', delivered: 300, lost: 0 },
  ]);
  const [program] = live.programs;
  assert.equal(program?.name, 'wbstats_emit');
  assert.ok(program.runCount >= 300 && program.runTimeNs > 0, JSON.stringify(program));
  assert.ok(program.verifiedInsns > 10);
  // bpftool's view of the same program: its id, and the run count the kernel keeps.
  const shown = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'id', String(program.id)], { encoding: 'utf8' })) as { name: string; run_cnt?: number };
  assert.equal(shown.name, 'wbstats_emit');
  assert.ok((shown.run_cnt ?? 0) >= program.runCount);
  const ring = live.maps.find((m) => m.name === 'wbstats_ring');
  assert.ok(ring && ring.type === 27 && ring.memoryBytes >= 1 << 20, JSON.stringify(live.maps));
  assert.equal(live.hostCalls.load_bpf_object, 1);
  assert.equal(live.hostCalls.attach_bpf_program, 1);
  assert.ok((live.hostCalls.buffer_poll ?? 0) >= 2);

  running.stop('SIGINT');
  assert.equal((await running.exited).code, 0);
  assert.equal(runTimeStatsHolders(), holdersBefore, 'released when the module ended');
  const final = running.stats();
  assert.equal(buffer(final, 'perf')?.delivered, 300);
  assert.ok(final.programs[0]!.runCount >= program.runCount, 'the last run count, read by the worker before it closed the object');
  assert.equal(final.hostCalls.close_bpf_object, 1);
});

test('without spec.kernelStats the kernel is not asked to count, and the host still counts records', root.options, async (t) => {
  const marker = uniqueMarker();
  const holdersBefore = runTimeStatsHolders();
  const out = fs.openSync('/dev/null', 'w');
  const running = startModule({ wasm: fs.readFileSync(wbstatsWasm()), args: ['wbstats', String(marker)], stdout: out });
  t.after(async () => {
    await running[Symbol.asyncDispose]();
    fs.closeSync(out);
  });
  await waitFor('attached', () => attached(running), 20_000);
  assert.equal(runTimeStatsHolders(), holdersBefore);
  emitRecords(marker, 50);
  await waitFor('50 records', () => buffer(running.stats(), 'perf')?.delivered === 50, 20_000);
  assert.equal(running.stats().kernelStats, false);
  running.stop('SIGINT');
  await running.exited;
});
