// Keeps `npm run bench` from rotting without timing anything: the kernel part of the benchmark
// runs in its quick mode (1,000 map operations, 1,024 records, one run, no build) and must print
// a well-formed table, JSON (schema 2, a Figure per number) and SVG chart, with positive figures
// on both sides, no record lost, and no eBPF object of its own left behind. The container group
// needs containerd and has its own test (integration/).
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import type { BenchReport } from '../../bench/report.ts';
import { bpfObjectsNamed } from '../helpers/bpf-state.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

const repo = path.resolve(import.meta.dirname, '../..');
const GROUPS = ['lookup', 'update', 'ring', 'perf', 'startup', 'warm-start'];
const FIGURES = ['map-lookup', 'map-update', 'ring-cpu-per-record', 'ring-records-per-second', 'ring-lost',
  'perf-cpu-per-record', 'perf-records-per-second', 'perf-lost', 'start-to-attached', 'start-peak-rss', 'module-start-in-server'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-smoke-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('bench --quick prints a table, JSON and an SVG chart with positive figures on both sides', root.options, async () => {
  const out = path.join(dir, 'quick.json');
  const { stdout } = await promisify(execFile)(path.join(repo, 'scripts', 'node'),
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', GROUPS.join(','), '--out', out], { cwd: repo, timeout: 120_000 });

  const rows = stdout.trim().split('\n');
  assert.match(rows[0]!, /^figure\s+unit\s+native\s+wasmbpf\s+ratio\s+target\s+met$/);
  assert.match(rows[1]!, /^-+(\s+-+){6}$/);
  assert.deepEqual(rows.slice(2).map((r) => r.split(/\s+/)[0]), FIGURES);
  for (const row of rows.slice(2)) assert.match(row, /\s(yes|NO|-)$/, row);
  const lost = rows.filter((r) => r.includes('-lost'));
  for (const row of lost) assert.match(row, /\s0 records\s+0 records\s.*\syes$/, row);

  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
  assert.equal(report.schema, 2);
  assert.equal(report.settings.quick, true);
  assert.deepEqual(report.settings.groups, GROUPS);
  assert.ok(['dist', 'tsx'].includes(report.settings.wasmbpfPath));
  assert.ok(report.machine.cpus > 0 && report.machine.kernel.length > 0);
  assert.deepEqual(report.figures.map((f) => f.name), FIGURES);
  for (const f of report.figures) {
    assert.ok(f.what.length > 0 && f.unit.length > 0, `${f.name}: says what it measured`);
    if (f.mustBeZero) {
      assert.equal(f.native, 0, `${f.name}: nothing lost natively`);
      assert.equal(f.wasmbpf, 0, `${f.name}: nothing lost under wasmbpf`);
      continue;
    }
    assert.ok(f.native > 0 && f.wasmbpf > 0, `${f.name}: positive on both sides`);
    assert.ok(f.ratio > 0, `${f.name}: positive ratio`);
    assert.deepEqual([f.samples?.native.length, f.samples?.wasmbpf.length], [1, 1], `${f.name}: one run per side`);
  }
  // `wasmbpf run --debug` gave the start-up phases, in order of time.
  const phases = Object.values(report.figures.find((f) => f.name === 'start-to-attached')!.phases ?? {});
  assert.ok(phases.length >= 6, `start-up phases: ${JSON.stringify(report.figures.find((f) => f.name === 'start-to-attached')!.phases)}`);
  assert.ok(phases.every((ms) => ms > 0));

  // The chart goes beside the JSON for a quick run (docs/bench-chart.svg is a full run's).
  const svg = fs.readFileSync(path.join(dir, 'quick.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*>/);
  assert.match(svg.trim(), /<\/svg>$/);
  assertWellFormed(svg);
  // Every figure with a target or a limit (records/s and peak RSS have none: they are in the
  // table and JSON only).
  for (const f of report.figures.filter((x) => x.mustBeZero || x.target !== null || x.limit !== undefined)) assert.ok(svg.includes(`>${f.name}<`), `the chart has a row for ${f.name}`);
  assert.deepEqual(bpfObjectsNamed('wbb_'), { progs: [], maps: [] }, 'the benchmark unloaded everything');
});

test('bench rejects an unknown workload with a usage error and exit 2', async () => {
  const result = await promisify(execFile)(path.join(repo, 'scripts', 'node'),
    ['--import', 'tsx', 'bench/run.ts', '--only', 'nosuch'], { cwd: repo }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  assert.ok(result, 'the run failed');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /WASMBPF_BENCH_USAGE: unknown workload 'nosuch'/);
});

/** Every tag closed in order, attributes quoted, text escaped: what an SVG viewer needs to parse it. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(amp|lt|gt|quot|apos|#\d+);)/g;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(xml))) {
    assert.ok(m[2], `a bare '${m[0]}' at offset ${m.index}`);
    if (m[4]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `</${m[2]}> closes the open tag`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, [], 'every tag is closed');
}
