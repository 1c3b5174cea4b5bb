// The benchmark's pure parts: ratios, the met/missed verdict, the table and the SVG chart, on
// made-up figures (the real ones come from test/system/bench-smoke.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderChart } from '../../bench/chart.ts';
import { ratioOf, targetMet, type Figure } from '../../bench/figure.ts';
import { formatTable, formatValue, type BenchReport } from '../../bench/report.ts';

const fig = (f: Partial<Figure> & Pick<Figure, 'name' | 'unit' | 'native' | 'wasmbpf'>): Figure =>
  ({ target: null, what: 'made up', ratio: ratioOf(f.wasmbpf, f.native), ...f });

const figures: Figure[] = [
  fig({ name: 'map-lookup', unit: 'ns/op', native: 1000, wasmbpf: 1150, target: 1.2 }),
  fig({ name: 'ring-cpu-per-record', unit: 'ns/record', native: 60, wasmbpf: 130, target: 1.3 }),
  fig({ name: 'ring-records-per-second', unit: 'records/s', native: 5e6, wasmbpf: 4e6 }),
  fig({ name: 'ring-lost', unit: 'records', native: 0, wasmbpf: 3, mustBeZero: true }),
  fig({ name: 'image-size', unit: 'bytes', native: 4_000_000, wasmbpf: 16_000, target: 0.05 }),
  fig({ name: 'shim-rss-per-extra-module', unit: 'MiB', native: 1.2, wasmbpf: 12, limit: 10 }),
];

const report: BenchReport = {
  schema: 2, date: '2026-11-25T00:00:00.000Z',
  machine: { arch: 'x64', cpu: 'Test <CPU> & co', cpus: 2, memoryGiB: 4, kernel: '6.18', node: 'v24', libbpf: '1.1', clang: '19', loadAverage: [0, 0, 0] },
  settings: { runs: 5, quick: false, mapOps: 1, records: 64, recordsPerTrigger: 64, retries: 0, wasmbpfPath: 'dist', groups: ['lookup'] },
  figures,
};

test('ratios keep two decimals, or three significant digits below 1', () => {
  assert.equal(ratioOf(1234, 1000), 1.23);
  assert.equal(ratioOf(16_000, 4_000_000), 0.004);
  assert.equal(ratioOf(5, 0), 0);
});

test('a figure is met by its ratio target, its limit, or by zero on both sides', () => {
  assert.deepEqual(figures.map(targetMet), [true, false, null, false, true, false]);
});

test('the table has one row per figure with the verdict last', () => {
  const rows = formatTable(figures).split('\n');
  assert.match(rows[0]!, /^figure\s+unit\s+native\s+wasmbpf\s+ratio\s+target\s+met$/);
  assert.deepEqual(rows.slice(2).map((r) => r.split(/\s+/).at(-1)), ['yes', 'NO', '-', 'NO', 'yes', 'NO']);
  assert.match(rows[6]!, /0\.0040×\s+≤ 0\.05×\s+yes$/);
  assert.equal(formatValue(130, 'ns/record'), '130.0 ns/record');
  assert.equal(formatValue(2.5e6, 'records/s'), '2.50 M/s');
});

test('the chart has a row per figure with a target, escapes text, and colours by verdict', () => {
  const svg = renderChart(report);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trim().endsWith('</svg>'));
  assert.ok(svg.includes('Test &lt;CPU&gt; &amp; co'), 'machine text is escaped');
  assert.ok(!svg.includes('ring-records-per-second'), 'no row for a figure without a target');
  for (const name of ['map-lookup', 'ring-cpu-per-record', 'ring-lost', 'image-size', 'shim-rss-per-extra-module']) {
    assert.ok(svg.includes(`>${name}<`), name);
  }
  assert.match(svg, /fill="#2e7d32">1\.15× \(target ≤ 1\.2×\)</);
  assert.match(svg, /fill="#c62828">2\.17× \(target ≤ 1\.3×\)</);
  assert.match(svg, /fill="#c62828">✗ native 0 records, wasmbpf 3 records \(must be 0\)</);
  assert.match(svg, /12 MiB \(limit 10 MiB\)/);
});
