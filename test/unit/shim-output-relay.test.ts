import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OutputRelay } from '../../shim/output-relay.ts';

function fifo(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimrelay-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'stdout');
  execFileSync('mkfifo', [file]);
  return file;
}

/** Blocking writes from another thread, as a module's worker makes them. */
function writeFromWorker(fd: number, lines: number): Promise<void> {
  const code = `const fs = require('fs'); for (let i = 0; i < ${lines}; i++) fs.writeSync(${fd}, 'line ' + String(i).padStart(7, '0') + ' ' + '.'.repeat(80) + '\\n');`;
  return new Promise((resolve, reject) => new Worker(code, { eval: true }).once('exit', () => resolve()).once('error', reject));
}

test('with a reader: every byte arrives in order, then end-of-file', async (t) => {
  const target = fifo(t);
  const relay = OutputRelay.open(target, 'stdout');
  const reader = new net.Socket({ fd: fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK), readable: true, writable: false });
  const chunks: Buffer[] = [];
  reader.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => reader.once('end', r));
  await writeFromWorker(relay.writeFd, 20_000); // ~1.8 MB, far beyond a pipe
  await relay.finish();
  await ended;
  const lines = Buffer.concat(chunks).toString().trim().split('\n');
  assert.equal(lines.length, 20_000);
  assert.ok(lines.every((l, i) => l.startsWith(`line ${String(i).padStart(7, '0')} `)));
  assert.equal(relay.dropped, 0);
});

test('without a reader: the writer never blocks, the excess is dropped and counted, memory stays bounded', async (t) => {
  const target = fifo(t);
  const relay = OutputRelay.open(target, 'stdout');
  const started = Date.now();
  await writeFromWorker(relay.writeFd, 60_000); // ~5.5 MB into a FIFO nobody reads
  assert.ok(Date.now() - started < 10_000);
  await relay.finish();
  assert.ok(relay.dropped > 3_000_000, `dropped ${relay.dropped}`);
  // what was kept is at most the queue bound plus one pipe of data
  const kept = 60_000 * 94 - relay.dropped;
  assert.ok(kept <= (1 << 20) + (1 << 17), `kept ${kept}`);
});

test('open fails clearly on a missing FIFO and leaks no fd', (t) => {
  const before = fs.readdirSync('/proc/self/fd').length;
  assert.throws(() => OutputRelay.open(path.join(path.dirname(fifo(t)), 'nope'), 'stderr'), /cannot open the task's stderr .*nope/);
  assert.equal(fs.readdirSync('/proc/self/fd').length, before);
});
