// `wasmbpf run --stats` / `--stats-interval` / WASMBPF_STATS=1 on the real kernel: the summary on
// stderr at exit names each buffer with the records the test emitted, the program with its runs,
// the maps with their memory; an interval prints it while the module runs; stdout stays the tool's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { emitRecords, uniqueMarker, wbstatsWasm } from '../helpers/wbstats-image.ts';
import { rootOnly } from '../helpers/root.ts';
import type { Cleanup } from '../helpers/cleanup.ts';

const root = rootOnly('loads eBPF programs');

const bin = path.resolve(import.meta.dirname, '../../bin/wasmbpf');

interface Run { stdout: string; stderr: string; code: number | null }

/** Starts `wasmbpf run FLAGS wbstats.wasm MARKER`, emits n records once attached, then SIGINT after `holdMs`. */
async function runWithRecords(t: Cleanup, flags: string[], env: NodeJS.ProcessEnv, n: number, holdMs: number): Promise<Run> {
  const marker = uniqueMarker();
  const child = spawn(bin, ['run', ...flags, wbstatsWasm(), String(marker)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const out: Run = { stdout: '', stderr: '', code: null };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', (code) => ((out.code = code), r())));
  const deadline = Date.now() + 30_000;
  while (!out.stdout.includes('wbstats attached')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not attached: ${out.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  emitRecords(marker, n);
  await new Promise((r) => setTimeout(r, holdMs));
  child.kill('SIGINT');
  await exited;
  return out;
}

test('--kernel-stats prints the buffers, program runs, maps and host calls on stderr when the module exits', root.options, async (t) => {
  const r = await runWithRecords(t, ['--kernel-stats'], {}, 200, 800);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wbstats ring 200 perf 200/, 'the module saw them too');
  const lines = r.stderr.split('\n');
  assert.equal(lines.filter((l) => l.startsWith('wasmbpf: stats after')).length, 1, r.stderr);
  assert.ok(lines.includes('  buffer wbstats_ring (ringbuf): 200 delivered'), r.stderr);
  assert.ok(lines.includes('  buffer wbstats_perf (perf): 200 delivered, 0 lost'), r.stderr);
  const program = /^ {2}program wbstats_emit \(id \d+\): (\d+) runs, [\d.]+ ms, \d+ ns\/run, (\d+) instructions verified$/m.exec(r.stderr);
  assert.ok(program && Number(program[1]) >= 200 && Number(program[2]) > 10, r.stderr);
  assert.match(r.stderr, /^ {2}map wbstats_ring \(id \d+, ringbuf\): 1\.0 MiB$/m);
  assert.match(r.stderr, /^ {2}host calls: load_bpf_object 1, attach_bpf_program 1, buffer_poll \d+/m);
  assert.doesNotMatch(r.stdout, /wasmbpf: stats/, 'stdout is the tool\'s own');
});

test('--stats without the kernel\'s counting; --stats-interval prints while the module runs; WASMBPF_STATS=1 and =kernel; neither prints nothing', root.options, async (t) => {
  const plain = await runWithRecords(t, ['--stats'], {}, 20, 300);
  assert.match(plain.stderr, /^ {2}program wbstats_emit \(id \d+\): runs not counted \(--kernel-stats\), \d+ instructions verified$/m);
  assert.match(plain.stderr, /buffer wbstats_ring \(ringbuf\): 20 delivered/);
  const kernel = await runWithRecords(t, [], { WASMBPF_STATS: 'kernel' }, 20, 300);
  assert.match(kernel.stderr, /program wbstats_emit \(id \d+\): \d+ runs/);
  const interval = await runWithRecords(t, ['--stats-interval', '300ms'], {}, 10, 1500);
  assert.equal(interval.code, 0, interval.stderr);
  assert.ok(interval.stderr.split('\n').filter((l) => l.startsWith('wasmbpf: stats after')).length >= 3, interval.stderr);
  const env = await runWithRecords(t, [], { WASMBPF_STATS: '1' }, 10, 300);
  assert.match(env.stderr, /buffer wbstats_perf \(perf\): 10 delivered, 0 lost/);
  const off = await runWithRecords(t, [], { WASMBPF_STATS: '' }, 10, 300);
  assert.doesNotMatch(off.stderr, /wasmbpf: stats/);
});
