// `wasmbpf compile` and `wasmbpf new` as a user types them: help, usage errors (exit 2),
// refusals (exit 1, one line naming the problem), and the printed outputs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const WASMBPF = path.resolve(import.meta.dirname, '../../bin/wasmbpf');
const wasmbpf = (...args: string[]) => spawnSync(WASMBPF, args, { encoding: 'utf8' });

test('compile and new have help', () => {
  for (const cmd of ['compile', 'new']) {
    const r = wasmbpf(cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^Usage: wasmbpf ${cmd} `));
  }
});

test('usage errors exit 2 and point at --help', () => {
  const cases: [string[], RegExp][] = [
    [['compile', '--arch', 'sparc', '.'], /unknown architecture 'sparc'/],
    [['compile', 'a', 'b'], /one tool folder at a time/],
    [['compile', '--bogus'], /Unknown option '--bogus'/],
    [['new'], /missing NAME/],
    [['new', 'a', 'b'], /one NAME only/],
  ];
  for (const [args, message] of cases) {
    const r = wasmbpf(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /Run 'wasmbpf (compile|new) --help' for usage\./);
  }
});

test('new makes a tool once; compile refuses a folder that is not a tool', (t) => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-cli-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const made = wasmbpf('new', '--dir', parent, 'probe_one');
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /Next:\n  wasmbpf compile .*probe_one\n  wasmbpf run .*probe_one\/build\/probe_one\.wasm\n$/);
  assert.equal(JSON.parse(readFileSync(path.join(parent, 'probe_one', 'wasmbpf.json'), 'utf8')).name, 'probe_one');
  assert.match(readFileSync(path.join(parent, 'probe_one', 'probe_one.c'), 'utf8'), /probe_one_bpf__open\(\)/);

  const again = wasmbpf('new', '--dir', parent, 'probe_one');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^wasmbpf new: .*probe_one already exists\n$/);

  const bad = wasmbpf('new', '--dir', parent, '7up');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid tool name '7up'/);
  assert.ok(!existsSync(path.join(parent, '7up')));

  const notATool = wasmbpf('compile', parent);
  assert.equal(notATool.status, 1);
  assert.match(notATool.stderr, /wasmbpf\.json: not found \(is this a tool folder\?/);
});
