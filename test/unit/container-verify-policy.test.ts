// The node's [verify] table: defaults, which names need a signature, and the mistakes that must
// refuse every task rather than run images unchecked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerError } from '../../container/errors.ts';
import { readVerifyPolicy, requiresSignature } from '../../container/verify-policy.ts';

function tempFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimverify-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'shim.toml'), text);
  return path.join(dir, 'shim.toml');
}

test('key paths are absolute or relative to the file\'s directory', (t) => {
  const file = tempFile(t, '[verify]\nkeys = ["/etc/k.pub", "keys/release.pub"]\n');
  assert.deepEqual(readVerifyPolicy(file)?.keys, ['/etc/k.pub', path.join(path.dirname(file), 'keys/release.pub')]);
});

test('no file or no [verify]: no policy; an empty table allows unsigned images', (t) => {
  assert.equal(readVerifyPolicy(undefined), undefined);
  assert.equal(readVerifyPolicy(tempFile(t, '[policy]\nallowed-map-types = ["ringbuf"]\n')), undefined);
  assert.deepEqual(readVerifyPolicy(tempFile(t, '[verify]\n')), { keys: [], require: [], allowUnsigned: true });
});

test('require globs match the repository or the full name; allow-unsigned = false requires every image', (t) => {
  const policy = readVerifyPolicy(tempFile(t, '[verify]\nkeys = ["/k.pub"]\nrequire = ["registry.example.com/*", "docker.io/library/busybox:1.36"]\n'))!;
  assert.deepEqual(policy, { keys: ['/k.pub'], require: ['registry.example.com/*', 'docker.io/library/busybox:1.36'], allowUnsigned: true });
  assert.equal(requiresSignature(policy, 'registry.example.com/tools/x:v1', 'registry.example.com/tools/x'), true, '* crosses /');
  assert.equal(requiresSignature(policy, 'registry.example.com.evil.io/x:v1', 'registry.example.com.evil.io/x'), false);
  assert.equal(requiresSignature(policy, 'docker.io/library/busybox:1.36', 'docker.io/library/busybox'), true);
  assert.equal(requiresSignature(policy, 'docker.io/library/busybox:latest', 'docker.io/library/busybox'), false);
  const strict = readVerifyPolicy(tempFile(t, '[verify]\nkeys = ["/k.pub"]\nallow-unsigned = false\n'))!;
  assert.equal(requiresSignature(strict, 'localhost/anything:v1', 'localhost/anything'), true);
});

test('a policy that requires signatures without keys, an unknown key or a wrong type refuses (InvalidArgument)', (t) => {
  const refuses = (text: string, message: RegExp) =>
    assert.throws(() => readVerifyPolicy(tempFile(t, text)), (e: unknown) => e instanceof ContainerError && e.code === 'WASMBPF_SHIM_INVALID_ARGUMENT' && message.test(e.message));
  refuses('[verify]\nrequire = ["*"]\n', /verify requires signatures but lists no keys/);
  refuses('[verify]\nallow-unsigned = false\n', /lists no keys/);
  refuses('[verify]\nkey = ["/k.pub"]\n', /unknown key verify\.key \(known: keys, require, allow-unsigned\)/);
  refuses('[verify]\nkeys = "/k.pub"\n', /verify\.keys must be a list of strings/);
  refuses('[verify]\nkeys = ["/k.pub"]\nallow-unsigned = "no"\n', /verify\.allow-unsigned must be true or false/);
  refuses('verify = 3\n', /verify must be a table/);
  refuses('[verify\n', /cannot be read/);
});
