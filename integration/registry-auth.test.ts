// Registry authentication against a real docker-registry: htpasswd basic auth and the bearer
// token flow (WWW-Authenticate realm/service/scope -> token server -> retry with the token).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packTool } from '../image/build.ts';
import { pullImage } from '../image/pull.ts';
import { pushImage } from '../image/push.ts';
import { writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { PASSWORD, USER, assertStoreClean, startRegistry, wasmbpf } from '../test/helpers/registry.ts';

async function setup(t: { after: (fn: () => unknown) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = await writeToolFiles('authtool', ['x86_64', 'arm64']);
  t.after(() => files.cleanup());
  const home = join(dir, 'home');
  const built = await packTool(files.tool, { tag: 'authtool:v1', home });
  return { dir, home, built };
}

test('basic auth: anonymous and wrong passwords are refused clearly; the right login pushes and pulls', async (t) => {
  const registry = await startRegistry(t, { auth: 'htpasswd' });
  const { dir, home, built } = await setup(t);
  const name = `${registry.host}/secure/authtool:v1`;

  await assert.rejects(pushImage(name, { home, source: 'authtool:v1' }), {
    code: 'WASMBPF_REGISTRY_AUTH',
    message: /requires a login \(HTTP 401\); pass --username\/--password/,
  });
  await assert.rejects(pushImage(name, { home, source: 'authtool:v1', credentials: { username: USER, password: 'wrong' } }), {
    code: 'WASMBPF_REGISTRY_AUTH',
    message: new RegExp(`rejected the credentials of ${USER} \\(HTTP 401`),
  });

  const pushed = await pushImage(name, { home, source: 'authtool:v1', credentials: { username: USER, password: PASSWORD } });
  assert.equal(pushed.digest, built.descriptor.digest);

  const anonHome = join(dir, 'anon');
  await assert.rejects(pullImage(name, { home: anonHome }), { code: 'WASMBPF_REGISTRY_AUTH' });
  await assertStoreClean(anonHome, name);

  // The CLI: WASMBPF_REGISTRY_AUTH, then ~/.docker/config.json-style auths via DOCKER_CONFIG.
  const viaEnv = await wasmbpf(['pull', name], { WASMBPF_HOME: join(dir, 'env'), WASMBPF_REGISTRY_AUTH: `${USER}:${PASSWORD}` });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const dockerConfig = join(dir, 'docker');
  await mkdir(dockerConfig);
  await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
  const viaFile = await wasmbpf(['pull', name], { WASMBPF_HOME: join(dir, 'file'), DOCKER_CONFIG: dockerConfig });
  assert.equal(viaFile.code, 0, viaFile.stderr);
  const denied = await wasmbpf(['pull', name], { WASMBPF_HOME: join(dir, 'denied') });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^wasmbpf pull: .*requires a login/m);
});

test('bearer tokens: the client follows the challenge to the token server with the right scopes', async (t) => {
  const registry = await startRegistry(t, { auth: 'token' });
  const { dir, home, built } = await setup(t);
  const name = `${registry.host}/tokens/authtool:v1`;
  const credentials = { username: USER, password: PASSWORD };

  const pushed = await pushImage(name, { home, source: 'authtool:v1', credentials });
  assert.equal(pushed.digest, built.descriptor.digest);
  assert.ok(registry.tokenRequests.some((r) => r.user === USER && r.scope.includes('repository:tokens/authtool:pull,push')), JSON.stringify(registry.tokenRequests));

  const pulled = await pullImage(name, { home: join(dir, 'pulled'), credentials });
  assert.equal(pulled.descriptor.digest, built.descriptor.digest);
  assert.ok(registry.tokenRequests.some((r) => r.scope.includes('repository:tokens/authtool:pull')));

  // No credentials: the token server refuses, and the error says who refused what.
  const anon = join(dir, 'anon');
  await assert.rejects(pullImage(name, { home: anon }), { code: 'WASMBPF_REGISTRY_AUTH', message: /token server http:\/\/127\.0\.0\.1:\d+ refused an anonymous token \(HTTP 401\)/ });
  await assertStoreClean(anon, name);
  await assert.rejects(pullImage(name, { home: anon, credentials: { username: USER, password: 'nope' } }), { code: 'WASMBPF_REGISTRY_AUTH', message: /refused the credentials of alice/ });
  await assertStoreClean(anon, name);
});
