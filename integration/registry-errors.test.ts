// Bad registries and bad content, against a real docker-registry whose storage the test damages:
// every failure is a clear error with a stable code, and the store is left with no name, no temp
// file and no partial blob.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packTool } from '../image/build.ts';
import { pullImage } from '../image/pull.ts';
import { pushImage } from '../image/push.ts';
import { TransferInterruptedError } from '../image/errors.ts';
import { RegistryClient } from '../image/registry/client.ts';
import { ImageStore } from '../image/store.ts';
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_WASM_MODULE, sha256 } from '../oci-spec/index.ts';
import { tinyWasm, writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { assertStoreClean, startRegistry, wasmbpf } from '../test/helpers/registry.ts';

async function setup(t: { after: (fn: () => unknown) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-regerr-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = await writeToolFiles('broken', ['x86_64', 'arm64']);
  t.after(() => files.cleanup());
  const home = join(dir, 'home');
  const built = await packTool(files.tool, { tag: 'broken:v1', home });
  return { dir, home, built, clean: join(dir, 'clean') };
}

test('404: an unknown tag or repository', async (t) => {
  const registry = await startRegistry(t);
  const { clean } = await setup(t);
  const name = `${registry.host}/nothing/here:v9`;
  await assert.rejects(pullImage(name, { home: clean }), {
    code: 'WASMBPF_REGISTRY_NOT_FOUND',
    message: new RegExp(`${registry.host}/nothing/here: manifest v9 not found \\(HTTP 404: (MANIFEST|NAME)_UNKNOWN`),
  });
  await assertStoreClean(clean, name);
  const cli = await wasmbpf(['pull', name], { WASMBPF_HOME: clean });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /^wasmbpf pull: .*not found \(HTTP 404/m);
});

test('500: a registry whose storage is broken', async (t) => {
  const { dir, home, clean } = await setup(t);
  const notADir = join(dir, 'not-a-directory');
  await writeFile(notADir, 'x');
  const registry = await startRegistry(t, { storage: join(notADir, 'storage') });
  const name = `${registry.host}/tools/broken:v1`;
  await assert.rejects(pullImage(name, { home: clean }), { code: 'WASMBPF_REGISTRY_HTTP', message: /manifest v1: the registry answered HTTP 500 Internal Server Error/ });
  await assertStoreClean(clean, name);
  await assert.rejects(pushImage(name, { home, source: 'broken:v1' }), { code: 'WASMBPF_REGISTRY_HTTP', message: /HTTP 500/ });
});

test('a registry that is not there', async (t) => {
  const { clean } = await setup(t);
  const name = `127.0.0.1:${await freePort()}/tools/broken:v1`;
  await assert.rejects(pullImage(name, { home: clean }), { code: 'WASMBPF_REGISTRY_UNREACHABLE', message: /cannot reach the registry 127\.0\.0\.1:\d+ at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/ });
  await assertStoreClean(clean, name);
});

test('a manifest whose content does not match its digest', async (t) => {
  const registry = await startRegistry(t);
  const { home, built, clean } = await setup(t);
  const name = `${registry.host}/tools/broken:v1`;
  await pushImage(name, { home, source: 'broken:v1' });
  // Rewrite the stored manifest: same JSON, different bytes, so only the digest can tell.
  const path = registry.blobDataPath(built.descriptor.digest);
  const original = await readFile(path, 'utf8');
  await writeFile(path, `${original}\n`);
  await assert.rejects(pullImage(name, { home: clean }), {
    code: 'WASMBPF_DIGEST_MISMATCH',
    message: new RegExp(`the registry promised ${built.descriptor.digest} but the content is sha256:`),
  });
  await assert.rejects(pullImage(`${registry.host}/tools/broken@${built.descriptor.digest}`, { home: clean }), { code: 'WASMBPF_DIGEST_MISMATCH' });
  await assertStoreClean(clean, name);
  assert.deepEqual(await ImageStore.open(clean).blobs(), [], 'nothing was downloaded');
});

test('a truncated blob is refused and leaves nothing behind', async (t) => {
  const registry = await startRegistry(t);
  const { home, built, clean } = await setup(t);
  const name = `${registry.host}/tools/broken:v1`;
  await pushImage(name, { home, source: 'broken:v1' });
  const module = built.image.blobs.find((b) => b.descriptor.mediaType === MEDIA_TYPE_WASM_MODULE)!;
  await truncate(registry.blobDataPath(module.descriptor.digest), 10);
  await assert.rejects(pullImage(name, { home: clean }), {
    code: 'WASMBPF_SIZE_MISMATCH',
    message: new RegExp(`${module.descriptor.digest}: expected ${module.descriptor.size} bytes, got 10 \\(truncated\\)`),
  });
  await assertStoreClean(clean, name);
  assert.equal(await ImageStore.open(clean).has(module.descriptor), false);
});

test('a missing layer: the registry has the manifest but not the blob', async (t) => {
  const registry = await startRegistry(t);
  const { home, built, clean } = await setup(t);
  const name = `${registry.host}/tools/broken:v1`;
  await pushImage(name, { home, source: 'broken:v1' });
  const object = built.image.blobs.at(-1)!;
  await rm(registry.blobDataPath(object.descriptor.digest));
  await assert.rejects(pullImage(name, { home: clean }), {
    code: 'WASMBPF_REGISTRY_NOT_FOUND',
    message: new RegExp(`layer 2 ${object.descriptor.digest} not found \\(HTTP 404: BLOB_UNKNOWN`),
  });
  await assertStoreClean(clean, name);
});

test('an unknown layer media type is refused before anything is downloaded', async (t) => {
  const registry = await startRegistry(t);
  const { clean } = await setup(t);
  const client = new RegistryClient(registry.host, 'tools/odd');
  const config = new TextEncoder().encode('{}');
  const wasm = tinyWasm('odd');
  const odd = new TextEncoder().encode('what is this');
  const d = (mediaType: string, bytes: Uint8Array) => ({ mediaType, digest: sha256(bytes), size: bytes.length });
  const layers = [d(MEDIA_TYPE_WASM_MODULE, wasm), d('application/vnd.example.mystery.v1', odd)];
  for (const [desc, bytes] of [[d(MEDIA_TYPE_OCI_CONFIG, config), config], [layers[0]!, wasm], [layers[1]!, odd]] as const) {
    await client.pushBlob(desc, async (o, n) => bytes.subarray(o, o + n), { chunkSize: 1 << 20 });
  }
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config: d(MEDIA_TYPE_OCI_CONFIG, config), layers }));
  await client.putManifest('v1', manifest, MEDIA_TYPE_OCI_MANIFEST);
  const name = `${registry.host}/tools/odd:v1`;
  await assert.rejects(pullImage(name, { home: clean }), {
    code: 'WASMBPF_OCI_MEDIA_TYPE',
    message: /layers\[1\]: unsupported layer media type "application\/vnd\.example\.mystery\.v1"/,
  });
  await assertStoreClean(clean, name);
  assert.deepEqual(await ImageStore.open(clean).blobs(), []);
});

test('an interrupted pull (Ctrl-C) stops with WASMBPF_INTERRUPTED and keeps nothing partial', async (t) => {
  const registry = await startRegistry(t);
  const { home, clean } = await setup(t);
  const name = `${registry.host}/tools/broken:v1`;
  await pushImage(name, { home, source: 'broken:v1' });
  const stop = new AbortController();
  // Abort as soon as the first layer starts arriving, the way the CLI's SIGINT handler does.
  const progress = { begin() {}, advance() { stop.abort(new TransferInterruptedError('interrupted')); }, end() {} };
  await assert.rejects(pullImage(name, { home: clean, progress, signal: stop.signal }), { code: 'WASMBPF_INTERRUPTED' });
  await assertStoreClean(clean, name);
  // And the next pull completes.
  assert.equal((await pullImage(name, { home: clean })).name, name);
});
