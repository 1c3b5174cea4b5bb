// `wasmbpf COMMAND --help` as a new user reads it: every command has help that starts with its
// usage line and lists -h itself, and `run` leaves a -h after its target to the module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const WASMBPF = path.resolve(import.meta.dirname, '../../bin/wasmbpf');
const wasmbpf = (...args: string[]) => spawnSync(WASMBPF, args, { encoding: 'utf8' });
const COMMANDS = ['run', 'compile', 'new', 'build', 'images', 'inspect', 'push', 'pull', 'install', 'uninstall'];

test('every command has help: its usage line, exit 0, and -h/--help listed', () => {
  const top = wasmbpf('--help');
  assert.equal(top.status, 0);
  assert.match(top.stdout, /'wasmbpf --version'/);
  assert.match(wasmbpf('--version').stdout, /^wasmbpf \d+\.\d+\.\d+\n$/);
  for (const cmd of COMMANDS) {
    assert.match(top.stdout, new RegExp(`^  ${cmd} +\\S`, 'm'), `wasmbpf --help lists ${cmd}`);
    for (const flag of ['--help', '-h']) {
      const r = wasmbpf(cmd, flag);
      assert.equal(r.status, 0, `${cmd} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: wasmbpf ${cmd} `), `${cmd} ${flag}`);
      assert.match(r.stdout, /-h, --help +show this help/, `${cmd} --help lists -h, --help`);
    }
  }
});

test('run: -h before the target is run\'s help; after it, the module\'s argument', () => {
  assert.match(wasmbpf('run', '--arch', 'x86_64', '-h', 'tool.wasm').stdout, /^Usage: wasmbpf run /);
  const r = wasmbpf('run', '/nonexistent/tool.wasm', '-h');
  assert.equal(r.status, 1, r.stdout);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wasmbpf run: cannot read module '\/nonexistent\/tool\.wasm'/);
});
