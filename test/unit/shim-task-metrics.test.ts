import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMetrics, processMetrics, V1_TYPE, V2_TYPE } from '../../shim/task-metrics.ts';

test('cgroups v1 metrics carry the process cpu (ns) and memory', () => {
  const any = processMetrics(false);
  assert.equal(any.type_url, V1_TYPE);
  const m = decodeMetrics(any) as { pids: { current: number }; cpu: { usage: { total: number; user: number } }; memory: { rss: number; usage: { usage: number } } };
  assert.ok(m.pids.current >= 1);
  assert.ok(m.cpu.usage.total >= m.cpu.usage.user && m.cpu.usage.user > 0);
  assert.ok(m.memory.rss > 1 << 20 && m.memory.usage.usage === m.memory.rss);
});

test('cgroups v2 metrics carry the process cpu (us) and memory', () => {
  const any = processMetrics(true);
  assert.equal(any.type_url, V2_TYPE);
  const m = decodeMetrics(any) as { cpu: { usageUsec: number; userUsec: number }; memory: { usage: number } };
  assert.ok(m.cpu.usageUsec >= m.cpu.userUsec && m.cpu.userUsec > 0);
  assert.ok(m.memory.usage > 1 << 20);
});
