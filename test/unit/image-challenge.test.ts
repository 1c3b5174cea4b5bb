// Registry auth inputs: WWW-Authenticate challenges and where credentials come from.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseChallenges } from '../../image/registry/challenge.ts';
import { findCredentials } from '../../image/registry/credentials.ts';

test('Bearer challenges with quoted parameters', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/x:pull' } },
  ]);
});

test('Basic, bare tokens, escapes and several challenges in one header', () => {
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges('Bearer realm=http://127.0.0.1:1/t, error="insufficient_scope", Basic realm="a \\"b\\""'), [
    { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/t', error: 'insufficient_scope' } },
    { scheme: 'basic', params: { realm: 'a "b"' } },
  ]);
  assert.deepEqual(parseChallenges(''), []);
});

test('credentials: explicit, then WASMBPF_REGISTRY_AUTH, then docker config.json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-creds-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ auths: { 'r.example:5000': { auth: Buffer.from('alice:s3cret:with:colons').toString('base64') }, 'https://index.docker.io/v1/': { username: 'bob', password: 'pw' } } }),
  );
  const env = { DOCKER_CONFIG: dir };
  assert.deepEqual(await findCredentials('r.example:5000', undefined, env), { username: 'alice', password: 's3cret:with:colons' });
  assert.deepEqual(await findCredentials('docker.io', undefined, env), { username: 'bob', password: 'pw' });
  assert.equal(await findCredentials('other.example', undefined, env), undefined);
  assert.deepEqual(await findCredentials('r.example:5000', undefined, { ...env, WASMBPF_REGISTRY_AUTH: 'ci:token' }), { username: 'ci', password: 'token' });
  assert.deepEqual(await findCredentials('r.example:5000', { username: 'u', password: 'p' }, env), { username: 'u', password: 'p' });
  await assert.rejects(findCredentials('x', { username: 'u' }, {}), { code: 'WASMBPF_REGISTRY_CREDENTIALS' });
  await assert.rejects(findCredentials('x', undefined, { WASMBPF_REGISTRY_AUTH: 'nocolon' }), { code: 'WASMBPF_REGISTRY_CREDENTIALS' });
});
