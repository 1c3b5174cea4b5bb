// A module blocked in a host call, or in a loop that never calls the host, can still be stopped:
// stdin reads and stdio polls wait in slices that look at the stop word (runtime/wasm/host-wait.ts),
// WASI sleep wakes at once, and a busy loop is terminated after the grace period. Through the
// runtime's contract and through `wasmbpf run`, with the exit codes containerd/runc would report.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildLimitFixtures, type LimitFixtures } from '../helpers/limits-guest.ts';
import { runModule } from '../helpers/module-run.ts';
import { REPEAT_WINDOW_MS } from '../../cli/interrupts.ts';
import type { Cleanup } from '../helpers/cleanup.ts';

let fx: LimitFixtures;
let wasm: Uint8Array;
const repo = path.resolve(import.meta.dirname, '../..');
before(() => {
  fx = buildLimitFixtures();
  wasm = fs.readFileSync(fx.guest);
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

/** A FIFO opened read-write: reads block (nobody writes) until the test writes to it. */
function silentStdin(t: Cleanup): number {
  const fifo = path.join(fx.dir, `stdin-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  const fd = fs.openSync(fifo, fs.constants.O_RDWR);
  t.after(() => fs.closeSync(fd));
  return fd;
}

test('a guest blocked reading a silent stdin: SIGTERM makes the read return EINTR and the guest exits on its own', async (t) => {
  const r = runModule(fx.dir, { wasm, args: ['guest', 'read'], stdin: silentStdin(t), gracePeriodMs: 30_000 });
  await r.waitFor('ready');
  await new Promise((res) => setTimeout(res, 200)); // into the read
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0, r.output());
  assert.match(r.output(), /read=-1/);
});

test('a guest blocked reading a silent stdin: SIGKILL ends it, exit 137', async (t) => {
  const r = runModule(fx.dir, { wasm, args: ['guest', 'read'], stdin: silentStdin(t) });
  await r.waitFor('ready');
  await new Promise((res) => setTimeout(res, 200));
  r.module.stop('SIGKILL');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 137);
});

test('stdin that does get data is read as before', async (t) => {
  const fd = silentStdin(t);
  const r = runModule(fx.dir, { wasm, args: ['guest', 'read'], stdin: fd });
  await r.waitFor('ready');
  await new Promise((res) => setTimeout(res, 200));
  fs.writeSync(fd, 'hello\n');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 0, r.output());
  assert.match(r.output(), /read=6/);
});

test('a guest in an hour-long WASI sleep: SIGKILL ends it, exit 137', async () => {
  const r = runModule(fx.dir, { wasm, args: ['guest', 'sleep', '3600'] });
  await r.waitFor('ready');
  r.module.stop('SIGKILL');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 137);
});

test('a pure busy loop (no host call): SIGKILL ends it, exit 137', async () => {
  const r = runModule(fx.dir, { wasm, args: ['guest', 'spin'] });
  await r.waitFor('ready');
  r.module.stop('SIGKILL');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 137);
  assert.equal(status.signal, 'SIGKILL');
});

function wasmbpfRun(args: string[]): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(path.join(repo, 'bin', 'wasmbpf'), ['run', ...args], { env: { ...process.env, WASMBPF_DEV: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

async function waitForText(output: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no '${text}' in:\n${output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('wasmbpf run of a pure busy loop: SIGTERM ends it after the grace period, exit 143, no process left', async () => {
  const run = wasmbpfRun([fx.guest, 'spin']);
  await waitForText(run.output, 'ready');
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 143, run.output());
  assert.throws(() => process.kill(run.child.pid!, 0), /ESRCH/, 'the wasmbpf process is gone');
});

test('wasmbpf run of a pure busy loop: a second Ctrl-C (later than the repeat window) ends it at once, exit 137', async () => {
  const run = wasmbpfRun([fx.guest, 'spin']);
  await waitForText(run.output, 'ready');
  run.child.kill('SIGINT');
  await new Promise((res) => setTimeout(res, REPEAT_WINDOW_MS + 200));
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 137, run.output());
});

test('wasmbpf run under GNU timeout -s INT (SIGINT to the child, then to its group): one stop, the module ends cleanly, exit 0', async () => {
  // The case: the second SIGINT used to count as a second Ctrl-C and kill it (137).
  let out = '';
  const child = spawn('timeout', ['--preserve-status', '-s', 'INT', '8', path.join(repo, 'bin', 'wasmbpf'), 'run', fx.guest, 'sleep'], {
    env: { ...process.env, WASMBPF_DEV: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  assert.match(out, /ready/, 'the module ran before the signals');
  assert.equal(code, 0, out);
  assert.match(out, /slept left=[1-9]\d*/, 'its sleep was cut short (EINTR), and it went on to exit by itself');
});

test('wasmbpf run: two SIGINTs back to back (kill -INT; kill -INT) stop the module once, exit 0', async () => {
  const run = wasmbpfRun([fx.guest, 'sleep']);
  await waitForText(run.output, 'ready');
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /slept left=/);
});
