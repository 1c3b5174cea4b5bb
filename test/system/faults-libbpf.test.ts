// A node without libbpf: `wasmbpf run` says so, names libbpf and what to install, and exits 1
// (no stack trace). WASMBPF_LIBBPF points the loader at a file that does not exist.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildLimitFixtures, type LimitFixtures } from '../helpers/limits-guest.ts';

let fx: LimitFixtures;
before(() => {
  fx = buildLimitFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

test('wasmbpf run without a loadable libbpf: a clear error naming libbpf and how to install it, exit 1', () => {
  const bin = path.resolve(import.meta.dirname, '../../bin/wasmbpf');
  const r = spawnSync(bin, ['run', fx.guest], {
    env: { ...process.env, WASMBPF_DEV: '1', WASMBPF_LIBBPF: path.join(fx.dir, 'no-such-libbpf.so.1') },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^wasmbpf run: cannot load libbpf \(.*no-such-libbpf\.so\.1\): .*No such file.*install it \(Debian\/Ubuntu: apt-get install libbpf1/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(r.stdout, /hello/);
});
