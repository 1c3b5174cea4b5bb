// Image references normalize like Docker's and containerd's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familiarName, isLoopbackRegistry, normalizeReference, parseReference, registryApiHost } from '../../image/reference.ts';

test('short names live on docker.io under library/ with tag latest', () => {
  assert.equal(normalizeReference('execsnoop'), 'docker.io/library/execsnoop:latest');
  assert.equal(normalizeReference('tools/execsnoop:v1'), 'docker.io/tools/execsnoop:v1');
  assert.equal(familiarName('docker.io/library/execsnoop:latest'), 'execsnoop:latest');
  assert.equal(familiarName('docker.io/tools/x:1'), 'tools/x:1');
  assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
});

test('a first component with a dot, a port or localhost is a registry', () => {
  assert.deepEqual(parseReference('127.0.0.1:5000/tools/execsnoop:v1'), { registry: '127.0.0.1:5000', repository: 'tools/execsnoop', tag: 'v1' });
  assert.deepEqual(parseReference('localhost/x'), { registry: 'localhost', repository: 'x', tag: 'latest' });
  assert.equal(normalizeReference('ghcr.io/a/b'), 'ghcr.io/a/b:latest');
  assert.equal(familiarName('ghcr.io/a/b:latest'), 'ghcr.io/a/b:latest');
});

test('digests, with or without a tag', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`r.io/x@${d}`), { registry: 'r.io', repository: 'x', digest: d });
  assert.equal(normalizeReference(`r.io/x:v1@${d}`), `r.io/x:v1@${d}`);
});

test('invalid references are WASMBPF_IMAGE_REFERENCE errors naming the input', () => {
  for (const bad of ['', 'Upper/case', 'x@sha256:short', 'x:bad tag', 'a//b', 'x:']) {
    assert.throws(() => parseReference(bad), (err: Error & { code?: string }) => err.code === 'WASMBPF_IMAGE_REFERENCE' && err.message.includes(JSON.stringify(bad)), bad);
  }
});

test('loopback registries', () => {
  for (const r of ['localhost:5000', '127.0.0.1:39999', '127.1.2.3', '[::1]:5000']) assert.ok(isLoopbackRegistry(r), r);
  for (const r of ['docker.io', '10.0.0.1:5000', 'localhost.example.com']) assert.ok(!isLoopbackRegistry(r), r);
});
