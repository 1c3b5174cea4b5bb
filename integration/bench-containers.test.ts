// Keeps the container half of `npm run bench` from rotting, without timing anything: the
// `containers` group in quick mode (a private containerd, one run per side, 1 and 3 containers
// in the namespace's shim server) must report every figure with positive values on both sides, and
// leave no eBPF object, task, shim or containerd behind.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { BenchReport } from '../bench/report.ts';
import { bpfObjectsNamed } from '../test/helpers/bpf-state.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const repo = path.resolve(import.meta.dirname, '..');
const FIGURES = ['ctr-run-to-first-event', 'ctr-run-cold-to-first-event', 'ctr-run-to-attached', 'ctr-run-in-pod-to-first-event', 'image-size',
  'shim-rss-1-module', 'shim-rss-3-modules', 'shim-rss-per-extra-module'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-ctr-smoke-'));
root.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function processesNamed(needle: string): string[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmd.includes(needle) ? [cmd] : [];
    } catch {
      return [];
    }
  });
}

test('bench --quick --only containers reports start-up, image size and shim memory, and leaves nothing', root.options, async () => {
  const out = path.join(dir, 'containers.json');
  const { stdout } = await promisify(execFile)(path.join(repo, 'scripts', 'node'),
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'containers', '--out', out], { cwd: repo, timeout: 240_000 });
  assert.deepEqual(stdout.trim().split('\n').slice(2).map((r) => r.split(/\s+/)[0]), FIGURES);

  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
  assert.equal(report.schema, 2);
  assert.deepEqual(report.figures.map((f) => f.name), FIGURES);
  for (const f of report.figures) {
    assert.ok(f.what.length > 0, `${f.name}: says what it measured`);
    assert.ok(f.native > 0 && f.wasmbpf > 0 && f.ratio > 0, `${f.name}: positive on both sides (${f.native}, ${f.wasmbpf})`);
  }
  const image = report.figures.find((f) => f.name === 'image-size')!;
  assert.equal(image.unit, 'bytes');
  const perModule = report.figures.find((f) => f.name === 'shim-rss-per-extra-module')!;
  assert.equal(perModule.limit, 8, 'memory per extra module is held against 8 MiB');

  assert.deepEqual(bpfObjectsNamed('wbc_'), { progs: [], maps: [] }, 'the container tools unloaded everything');
  assert.deepEqual(processesNamed('containerd-shim-wasmbpf-v1'), [], 'no wasmbpf shim left');
  assert.deepEqual(processesNamed('wasmbpf-bench-ctr'), [], 'no containerd or tool of the benchmark left');
});
