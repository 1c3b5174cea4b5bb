// The runtime on the real kernel and libbpf: every record reaches the guest in order, bad input
// gets the documented errno and the host carries on, and however a module ends (return, exit,
// trap, stop mid-poll, terminate) no program, map, link or fd of it is left behind.
import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startModule } from '../../runtime/start-module.ts';
import type { ModuleSpec } from '../../runtime/index.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { bpfObjectsNamed, leftAfterRelease, openFdCount } from '../helpers/bpf-state.ts';
import { runModule, type ModuleRun } from '../helpers/module-run.ts';
import { WASI_ERRNO as E } from '../../runtime/errno.ts';
import { MAX_POLL_BLOCK_MS } from '../../runtime/wasm/stop-signal.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
let wasm: Uint8Array;
const repo = path.resolve(import.meta.dirname, '../..');

before(async () => {
  fx = buildRuntimeFixtures({ rust: true });
  wasm = fs.readFileSync(fx.probeWasm);
  // Warm up: the first module loads libbpf and starts the log router, which keep fds open for
  // the life of the process; the fd baselines below are taken after that.
  const devNull = fs.openSync('/dev/null', 'w');
  const warm = startModule({ wasm, args: ['probe', 'exit', '0'], stdout: devNull, stderr: devNull });
  await warm.exited;
  fs.closeSync(devNull);
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

function run(args: string[], extra: Partial<ModuleSpec> = {}): ModuleRun {
  return runModule(fx.dir, { wasm, args: ['probe', ...args], ...extra });
}

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(await leftAfterRelease('wbt_'), { progs: [], maps: [] }, 'no program or map of the test module is left in the kernel');
}

function field(output: string, name: string): number {
  const m = output.match(new RegExp(`(?:^|\\s)${name}=(-?\\d+)`, 'm'));
  assert.ok(m, `no ${name}= in output:\n${output}`);
  return Number(m[1]);
}

test('ring buffer: 100000 records reach the guest, all, in order, none duplicated', root.options, async () => {
  const fds = openFdCount();
  const r = run(['ring', '100000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '100000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  assert.equal(field(out, 'seen'), 100000, out);
  assert.equal(field(out, 'out_of_order'), 0);
  assert.equal(field(out, 'gaps'), 0);
  assert.equal(field(out, 'dropped'), 0);
  await assertNothingLeft();
  assert.equal(openFdCount(), fds, 'fds back to baseline');
});

test('perf buffer: 100000 records are each delivered in order or counted as lost', root.options, async () => {
  const r = run(['perf', '100000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['perf', '100000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  const lost = [...out.matchAll(/lost (\d+) perf buffer samples/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(field(out, 'seen') + field(out, 'dropped') + lost, 100000, out);
  assert.equal(field(out, 'out_of_order'), 0, 'no duplicates or reordering');
  assert.equal(field(out, 'bad_size'), 0);
  await assertNothingLeft();
});

test('perf buffer overrun: the lost samples are counted and reported on stderr, the rest delivered in order', root.options, async () => {
  const r = run(['perflate', '101000']);
  await r.waitFor('ready');
  // Perf buffers are per CPU, and the kernel notes a loss in the buffer of the CPU that lost it
  // at that CPU's next write: keep both bursts on one CPU.
  execFileSync('taskset', ['-c', '0', fx.trigger, 'perf', '100000']); // overruns the buffer nobody drains yet
  execFileSync(fx.trigger, ['ring', '1']); // "the burst is over"
  await r.waitFor('draining');
  await new Promise((res) => setTimeout(res, 500));
  execFileSync('taskset', ['-c', '0', fx.trigger, 'perf', '1000', '100000']); // the LOST record comes before these
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out.slice(-1500));
  const lost = [...out.matchAll(/lost (\d+) perf buffer samples/g)].reduce((n, m) => n + Number(m[1]), 0);
  const dropped = field(out, 'dropped');
  assert.ok(dropped > 0, `the burst overran the buffer: ${out.slice(-300)}`);
  assert.equal(lost, dropped, 'every sample the eBPF side could not write is reported lost on stderr');
  assert.equal(field(out, 'seen') + dropped, 101000);
  assert.equal(field(out, 'out_of_order'), 0);
  await assertNothingLeft();
});

test('ring buffer: records the eBPF side discarded are skipped, the committed ones arrive in order', root.options, async () => {
  const r = run(['discard', '20000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['discard', '20000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  assert.equal(field(out, 'seen'), 10000, out);
  assert.equal(field(out, 'bad'), 0, 'only even seqs, each 2 after the one before, and buffer_poll counted them');
  await assertNothingLeft();
});

test('ring buffer: a callback returning < 0 ends that poll after its record; the rest comes with the next polls', root.options, async () => {
  const r = run(['stopcb', '20000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '20000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  assert.equal(field(out, 'seen'), 20000, out);
  assert.equal(field(out, 'bad'), 0, 'every record once, in order');
  assert.equal(field(out, 'max_per_poll'), 10, 'no poll delivered past a record whose callback returned -1');
  assert.ok(field(out, 'polls') >= 2000, out);
  await assertNothingLeft();
});

test('a callback that polls its own buffer gets -EBUSY and the outer poll goes on', root.options, async () => {
  const r = run(['nested', '2000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '2000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  assert.equal(field(out, 'nested'), -E.EBUSY!, out);
  assert.equal(field(out, 'seen'), 2000, out);
  assert.equal(field(out, 'bad'), 0, 'no record delivered twice or skipped');
  await assertNothingLeft();
});

test('perf buffer: samples that straddle the end of the buffer arrive whole', root.options, async () => {
  // 12-byte samples take 24 bytes with their headers, which does not divide the 256 KiB per-CPU
  // buffer: the sample at offset 262128 of a CPU's buffer continues at its start.
  const r = run(['perf12', '60000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['perf12', '60000']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  const lost = [...out.matchAll(/lost (\d+) perf buffer samples/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.equal(field(out, 'seen') + field(out, 'dropped') + lost, 60000, out);
  assert.ok(field(out, 'seen') > 2 * 10923, 'enough samples for every CPU buffer that took half of them to wrap');
  assert.equal(field(out, 'bad'), 0, 'every sample 12 bytes, its marker intact, in order');
  await assertNothingLeft();
});

test('callback-wrapper poll (TinyGo guests) delivers every record to go-callback', root.options, async () => {
  const r = run(['goring', '5000']);
  await r.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '5000']);
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0);
  assert.equal(field(r.output(), 'seen'), 5000, r.output());
  assert.equal(field(r.output(), 'out_of_order'), 0);
});

test('a Rust guest built the way wasm-bpf\'s binding crate builds them (i64 pointers) runs unchanged', root.options, async () => {
  const rust = fs.readFileSync(fx.probeRustWasm!);
  const lookup = run(['lookup'], { wasm: rust });
  assert.equal((await lookup.module.exited).code, 0, lookup.output());
  lookup.close();
  assert.match(lookup.output(), /rust update=0 lookup=0 value=4242/);
  const ring = run(['ring', '3000'], { wasm: rust });
  await ring.waitFor('ready');
  execFileSync(fx.trigger, ['ring', '3000']);
  assert.equal((await ring.module.exited).code, 0, ring.output());
  ring.close();
  assert.match(ring.output(), /rust seen=3000 out_of_order=0/);
  await assertNothingLeft();
});

test('bad input returns the documented negative errno and the host keeps running', root.options, async () => {
  const r = run(['badinput']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  assert.equal(field(out, 'invalid_elf'), 0);
  assert.equal(field(out, 'truncated_elf'), 0);
  assert.equal(field(out, 'verifier_reject'), 0);
  assert.match(out, /BEGIN PROG LOAD LOG[\s\S]*invalid access to map value[\s\S]*END PROG LOAD LOG/, 'the verifier log reaches stderr');
  assert.equal(field(out, 'object_past_memory'), 0);
  assert.equal(field(out, 'update'), 0);
  assert.equal(field(out, 'lookup'), 0);
  assert.match(out, /lookup=0 value=42/);
  assert.match(out, /lookup_i64=0 value=42/, 'i64 pointers (Rust, Go guests) work');
  assert.match(out, /first_key=0 key=7/, 'get_next_key with a NULL key gives the first key');
  assert.equal(field(out, 'key_past_memory'), -E.EFAULT!);
  assert.equal(field(out, 'foreign_fd_stdout'), -E.EBADF!);
  assert.equal(field(out, 'foreign_fd_high'), -E.EBADF!);
  assert.equal(field(out, 'wrong_cmd'), -E.EINVAL!);
  assert.equal(field(out, 'unknown_map'), -E.ENOENT!);
  assert.equal(field(out, 'unknown_prog'), -E.ENOENT!);
  assert.equal(field(out, 'bad_handle'), -E.ENOENT!);
  assert.equal(field(out, 'poll_foreign_fd'), -E.EBADF!);
  assert.equal(field(out, 'percpu_full'), 0, 'a value buffer of round_up(4, 8) x possible CPUs bytes is accepted');
  assert.equal(field(out, 'percpu_short'), -E.EFAULT!, 'a per-CPU value buffer that does not fit is refused');
  assert.equal(field(out, 'close'), 0);
  assert.equal(field(out, 'close_again'), -E.ENOENT!);
  await assertNothingLeft();
});

test('a poll without a timeout (-1) and nothing to read returns 0 after the host\'s cap, and a stop still ends it at once', root.options, async () => {
  const r = run(['pollcap']);
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 0, out);
  const polls = [...out.matchAll(/poll=(-?\d+) ms=(\d+)/g)].map((m) => ({ r: Number(m[1]), ms: Number(m[2]) }));
  assert.equal(polls.length, 3, out);
  for (const p of polls) {
    assert.equal(p.r, 0, 'an expired wait is 0, as an expired timeout');
    assert.ok(p.ms >= MAX_POLL_BLOCK_MS - 50 && p.ms < MAX_POLL_BLOCK_MS * 5, `blocked ${p.ms} ms: at most the cap (with scheduling slack)`);
  }

  const stopped = run(['pollcap']);
  await stopped.waitFor('ready');
  stopped.module.stop('SIGTERM');
  const s = await stopped.module.exited;
  stopped.close();
  assert.equal(s.code, 0, stopped.output());
  assert.match(stopped.output(), /poll=-27 /, 'the blocked poll returns -EINTR on a stop');
  await assertNothingLeft();
});

test('SIGINT while blocked in a poll: the poll returns -EINTR, the guest ends its loop and exits 0', root.options, async () => {
  const fds = openFdCount();
  const r = run(['block']);
  await r.waitFor('ready');
  assert.ok(bpfObjectsNamed('wbt_').progs.length > 0, 'the program is loaded while running');
  r.module.stop('SIGINT');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0, r.output());
  assert.equal(status.signal, 'SIGINT');
  assert.match(r.output(), /interrupted/);
  await assertNothingLeft();
  assert.equal(openFdCount(), fds);
});

test('SIGTERM wakes a sleeping guest with EINTR', async () => {
  const r = run(['sleep']);
  await r.waitFor('ready');
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0);
  assert.match(r.output(), /woke r=[1-9]\d* /, 'sleep() returned early with the time left');
});

test('a module that traps exits 134 with its error, and leaves nothing loaded', root.options, async () => {
  const fds = openFdCount();
  const r = run(['trap']);
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 134);
  assert.match(status.error ?? '', /wasm trap/);
  assert.match(r.output(), /wasmbpf: wasm trap: unreachable/);
  await assertNothingLeft();
  assert.equal(openFdCount(), fds);
});

test('a module that ignores stop is terminated after the grace period; the reaper frees its objects', root.options, async () => {
  const fds = openFdCount();
  const r = run(['spin'], { gracePeriodMs: 300 });
  await r.waitFor('ready');
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 143);
  assert.equal(status.signal, 'SIGTERM');
  await assertNothingLeft();
  assert.equal(openFdCount(), fds);
});

test('SIGKILL mid-poll ends the module at once, exit 137, nothing left', root.options, async () => {
  const r = run(['block']);
  await r.waitFor('ready');
  r.module.stop('SIGKILL');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 137);
  await assertNothingLeft();
});

test('killed while consuming a ring or perf buffer, or terminated: no mapping of the buffers is left in the process', root.options, async () => {
  const bpfMappings = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /anon_inode:(bpf|\[perf_event\])/.test(l)).length;
  const before = bpfMappings();
  for (const mode of ['ring', 'perf']) {
    const r = run([mode, '1000000']);
    await r.waitFor('ready');
    assert.ok(bpfMappings() > before, `the ${mode} buffer is mapped while the module runs`);
    const producer = spawn(fx.trigger, [mode, '1000000'], { stdio: 'ignore' });
    const producerDone = new Promise((res) => producer.once('exit', res));
    await new Promise((res) => setTimeout(res, 300));
    r.module.stop('SIGKILL');
    const status = await r.module.exited;
    producer.kill('SIGKILL');
    await producerDone;
    r.close();
    assert.equal(status.code, 137);
    assert.equal(bpfMappings(), before, `the ${mode} buffer's pages are unmapped after the kill`);
  }
  // A module that ignores stop is terminated: its cleanup never runs and the reaper unmaps.
  const r = run(['pollspin'], { gracePeriodMs: 300 });
  await r.waitFor('ready');
  assert.ok(bpfMappings() > before, 'the ring buffer is mapped while the module spins');
  r.module.stop('SIGTERM');
  assert.equal((await r.module.exited).code, 143, 'terminated after the grace period');
  r.close();
  assert.equal(bpfMappings(), before, 'the reaper unmapped the ring buffer of the terminated module');
  await assertNothingLeft();
});

test('modules killed at any moment (even inside libbpf calls) never wedge the next one', root.options, async () => {
  // Kill at moments spread over compile, object load (libbpf holds the log lock while the
  // verifier runs), attach and the first polls.
  for (let i = 0; i < 24; i++) {
    const r = run(['block']);
    await new Promise((res) => setTimeout(res, i * 12));
    r.module.stop('SIGKILL');
    await r.module.exited;
    r.close();
  }
  const r = run(['exit', '3']);
  const status = await Promise.race([r.module.exited, new Promise<null>((res) => setTimeout(() => res(null), 20000))]);
  r.close();
  assert.ok(status, 'the next module ran to its end');
  assert.equal(status.code, 3);
  await assertNothingLeft();
});

test('exit(3) without closing: status 3 and the host closes the objects', root.options, async () => {
  const r = run(['exit', '3']);
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 3);
  await assertNothingLeft();
});

test('wasmbpf run: exit code is the module\'s, Ctrl-C stops it cleanly, errors are clear', root.options, async () => {
  const cli = path.join(repo, 'bin/wasmbpf');
  const exit3 = spawn(cli, ['run', fx.probeWasm, 'exit', '3'], { stdio: 'ignore' });
  assert.equal(await new Promise((res) => exit3.on('exit', res)), 3);

  const child = spawn(cli, ['run', fx.probeWasm, 'block'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15000;
  while (!out.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(out, /ready/, 'stdout is line-buffered: "ready" arrives while the module runs');
  child.kill('SIGINT');
  const code = await new Promise((res) => child.on('exit', res));
  assert.equal(code, 0);
  assert.match(out, /interrupted/);
  await assertNothingLeft();

  const missing = spawn(cli, ['run', path.join(fx.dir, 'nope.wasm')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  missing.stderr.on('data', (d: Buffer) => (err += d.toString()));
  assert.equal(await new Promise((res) => missing.on('exit', res)), 1);
  assert.match(err, /cannot read module .*nope\.wasm/);
});
