// Keeps `npm run bench` from rotting without timing anything: the benchmark runs in its quick
// mode (1,000 operations, one run, no build) and must print a well-formed table and JSON with a
// positive time on both sides of every workload, and leave no eBPF object of its own behind.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import type { BenchReport } from '../../bench/report.ts';
import { bpfObjectsNamed } from '../helpers/bpf-state.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const WORKLOADS = ['lookup', 'update', 'ring', 'drain', 'startup'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-smoke-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('bench --quick prints a table and JSON with positive times for every workload', async () => {
  const out = path.join(dir, 'quick.json');
  const { stdout } = await promisify(execFile)(path.join(repo, 'scripts', 'node'),
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], { cwd: repo, timeout: 120_000 });

  const rows = stdout.trim().split('\n');
  assert.match(rows[0]!, /^workload\s+native\/op\s+wasmbpf\/op\s+ratio$/);
  assert.match(rows[1]!, /^-+(\s+-+){3}$/);
  const time = String.raw`\d+(\.\d+)? (ns|µs|ms|s)`;
  assert.deepEqual(rows.slice(2).map((r) => r.split(/\s+/)[0]), WORKLOADS);
  for (const row of rows.slice(2)) assert.match(row, new RegExp(`^\\w+\\s+${time}\\s+${time}\\s+\\d+(\\.\\d+)?×$`), row);

  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
  assert.equal(report.schema, 1);
  assert.equal(report.settings.quick, true);
  assert.ok(['dist', 'tsx'].includes(report.settings.wasmbpfPath));
  assert.ok(report.machine.cpus > 0 && report.machine.kernel.length > 0);
  assert.deepEqual(report.workloads.map((w) => w.name), WORKLOADS);
  for (const w of report.workloads) {
    for (const side of [w.native, w.wasmbpf]) {
      assert.ok(side.nsPerOp > 0, `${w.name}: positive time per op`);
      assert.equal(side.samples.length, 1);
    }
    assert.ok(w.opsPerRun > 0);
    assert.ok(w.ratio > 0, `${w.name}: positive ratio`);
  }
  assert.deepEqual(bpfObjectsNamed('wbb_'), { progs: [], maps: [] }, 'the benchmark unloaded everything');
});

test('bench rejects an unknown workload with a usage error and exit 2', async () => {
  const result = await promisify(execFile)(path.join(repo, 'scripts', 'node'),
    ['--import', 'tsx', 'bench/run.ts', '--only', 'nosuch'], { cwd: repo }).then(() => undefined, (e: { code: number; stderr: string }) => e);
  assert.ok(result, 'the run failed');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /WASMBPF_BENCH_USAGE: unknown workload 'nosuch'/);
});
