import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMetrics, taskMetrics, V1_TYPE, V2_TYPE } from '../../shim/task-metrics.ts';

const usage = { cpuUserNs: 30_000_000, cpuSystemNs: 20_000_000, wasmMemoryBytes: 2 << 20, heapUsedBytes: 5 << 20, heapLimitBytes: 34 << 20 };

test("cgroups v1 metrics carry the task's thread cpu (ns) and its Wasm memory plus worker heap", () => {
  const any = taskMetrics(usage, false);
  assert.equal(any.type_url, V1_TYPE);
  const m = decodeMetrics(any) as { pids: { current: number }; cpu: { usage: { total: number; user: number; kernel: number } }; memory: { rss: number; usage: { usage: number } } };
  assert.equal(m.pids.current, 1);
  assert.deepEqual(m.cpu.usage, { total: 50_000_000, user: 30_000_000, kernel: 20_000_000 });
  assert.equal(m.memory.rss, 7 << 20);
  assert.equal(m.memory.usage.usage, 7 << 20);
});

test("cgroups v2 metrics carry the task's thread cpu (us) and memory", () => {
  const any = taskMetrics(usage, true);
  assert.equal(any.type_url, V2_TYPE);
  const m = decodeMetrics(any) as { cpu: { usageUsec: number; userUsec: number; systemUsec: number }; memory: { anon: number; usage: number } };
  assert.deepEqual(m.cpu, { usageUsec: 50_000, userUsec: 30_000, systemUsec: 20_000 });
  assert.equal(m.memory.usage, 7 << 20);
});

test('a task that has ended reports nothing running', () => {
  const m = decodeMetrics(taskMetrics({ cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 }, true)) as { pids?: { current?: number } };
  assert.equal(m.pids?.current ?? 0, 0);
});

test("the task's eBPF map memory counts in its memory usage (v1: as kernel memory too), not in its anon/rss", () => {
  const v1 = decodeMetrics(taskMetrics(usage, false, 3 << 20)) as { memory: { rss: number; usage: { usage: number }; kernel: { usage: number } } };
  assert.equal(v1.memory.rss, 7 << 20);
  assert.equal(v1.memory.usage.usage, 10 << 20);
  assert.equal(v1.memory.kernel.usage, 3 << 20);
  const v2 = decodeMetrics(taskMetrics(usage, true, 3 << 20)) as { memory: { anon: number; usage: number } };
  assert.equal(v2.memory.anon, 7 << 20);
  assert.equal(v2.memory.usage, 10 << 20);
});
