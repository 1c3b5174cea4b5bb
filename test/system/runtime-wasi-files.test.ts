// WASI files: a module sees only the directories it was given (wasmbpf run --dir GUEST=HOST),
// nothing of the host's filesystem otherwise; args and environment arrive as given.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const repo = path.resolve(import.meta.dirname, '../..');
let dir: string;
let wasm: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-wasi-'));
  wasm = path.join(dir, 'files.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', wasm, path.join(repo, 'test/fixtures/runtime/files.c')]);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'hello.txt'), 'hello from the host\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(path.join(repo, 'bin/wasmbpf'), ['run', ...args], { encoding: 'utf8' });
}

test('without --dir the host filesystem is invisible', () => {
  const r = run(wasm, '/etc/hostname');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /open \/etc\/hostname: /);
});

test('--dir GUEST=HOST opens exactly that directory, under the guest path', () => {
  const ok = run('--dir', `/data=${path.join(dir, 'data')}`, wasm, '/data/hello.txt');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'read: hello from the host\n');
  const outside = run('--dir', `/data=${path.join(dir, 'data')}`, wasm, '/data/../files.wasm');
  assert.notEqual(outside.status, 0, 'no escape above the preopened directory');
});
