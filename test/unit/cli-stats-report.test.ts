// wasmbpf run --stats: the summary's lines and --stats-interval's parsing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatStats, parseStatsInterval } from '../../cli/stats-report.ts';
import { UsageError } from '../../cli/command.ts';

test('the summary names each buffer, program and map with its figures; ring buffers have no lost count', () => {
  const text = formatStats({
    hostCalls: { map_operate: 12, buffer_poll: 3 },
    buffers: [{ map: 'events', kind: 'ringbuf', delivered: 7 }, { map: 'perf', kind: 'perf', delivered: 5, lost: 2 }],
    programs: [{ name: 'handle_exec', id: 42, runCount: 4, runTimeNs: 4000, verifiedInsns: 99 }],
    maps: [{ name: 'events', id: 7, type: 27, memoryBytes: 2 * 1024 * 1024 }],
    kernelStats: true,
  }, 2500, { userMs: 1500, systemMs: 250 });
  const lines = text.split('\n');
  assert.equal(lines[0], 'wasmbpf: stats after 2.5 s');
  assert.ok(lines.includes('  buffer events (ringbuf): 7 delivered'));
  assert.ok(lines.includes('  buffer perf (perf): 5 delivered, 2 lost'));
  assert.ok(lines.includes('  program handle_exec (id 42): 4 runs, 0.004 ms, 1000 ns/run, 99 instructions verified'));
  assert.ok(lines.includes('  map events (id 7, ringbuf): 2.0 MiB'));
  assert.ok(lines.includes('  host calls: map_operate 12, buffer_poll 3'));
  assert.ok(lines.includes('  process cpu: user 1.50 s, system 0.25 s'));
});

test('the summary says when the kernel was not counting program runs', () => {
  const text = formatStats({ hostCalls: {}, buffers: [], programs: [{ name: 'p', id: 1, runCount: 0, runTimeNs: 0, verifiedInsns: 5 }], maps: [], kernelStats: false }, 0, { userMs: 0, systemMs: 0 });
  assert.ok(text.split('\n').includes('  program p (id 1): runs not counted (--kernel-stats), 5 instructions verified'), text);
  assert.match(text, /host calls: none/);
});

test('--stats-interval takes s, ms or bare seconds, at least 100 ms', () => {
  assert.equal(parseStatsInterval(undefined), undefined);
  assert.equal(parseStatsInterval('5s'), 5000);
  assert.equal(parseStatsInterval('250ms'), 250);
  assert.equal(parseStatsInterval('2'), 2000);
  assert.throws(() => parseStatsInterval('10ms'), UsageError);
  assert.throws(() => parseStatsInterval('soon'), /--stats-interval takes a duration/);
});
