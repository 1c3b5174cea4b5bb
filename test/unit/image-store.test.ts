// The local store: blobs by digest, verified reads, atomic streamed writes, names in index.json.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseImageLayoutFile, parseIndex, sha256 } from '../../oci-spec/index.ts';
import { ImageStore } from '../../image/store.ts';

async function tempStore(t: { after: (fn: () => Promise<void>) => void }): Promise<ImageStore> {
  const home = await mkdtemp(join(tmpdir(), 'wasmbpf-store-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  return ImageStore.open(home);
}

const bytes = new TextEncoder().encode('a blob');

test('write stores by digest; read verifies', async (t) => {
  const store = await tempStore(t);
  const d = await store.write(bytes, 'application/octet-stream');
  assert.equal(d.digest, sha256(bytes));
  assert.ok(store.blobPath(d.digest).endsWith(`blobs/sha256/${d.digest.slice(7)}`));
  assert.deepEqual(Buffer.from(await store.read(d)), Buffer.from(bytes));
  assert.ok(await store.has(d));
  // Corrupt it on disk: the next read refuses it.
  await writeFile(store.blobPath(d.digest), 'a blub');
  await assert.rejects(store.read(d), { code: 'WASMBPF_DIGEST_MISMATCH' });
  await assert.rejects(store.read({ ...d, digest: sha256('absent') }), { code: 'WASMBPF_BLOB_MISSING', message: /not in the local store/ });
});

test('writeStream keeps nothing when the content does not match', async (t) => {
  const store = await tempStore(t);
  const d = { mediaType: 'application/octet-stream', digest: sha256(bytes), size: bytes.length };
  async function* chunks(parts: Uint8Array[]) {
    for (const p of parts) yield p;
  }
  await assert.rejects(store.writeStream(d, chunks([bytes.subarray(0, 3)])), { code: 'WASMBPF_SIZE_MISMATCH', message: /truncated/ });
  await assert.rejects(store.writeStream(d, chunks([new TextEncoder().encode('b blob')])), { code: 'WASMBPF_DIGEST_MISMATCH' });
  async function* failing() {
    yield bytes.subarray(0, 2);
    throw new Error('connection reset');
  }
  await assert.rejects(store.writeStream(d, failing()), /connection reset/);
  assert.equal(await store.has(d), false);
  assert.deepEqual(await store.pendingWrites(), []);
  assert.deepEqual(await store.blobs(), []);
  await store.writeStream(d, chunks([bytes.subarray(0, 2), bytes.subarray(2)]));
  assert.deepEqual(Buffer.from(await store.read(d)), Buffer.from(bytes));
});

test('tag/list/resolve keep an OCI layout index; retagging replaces', async (t) => {
  const store = await tempStore(t);
  const a = await store.write(new TextEncoder().encode('{"a":1}'), 'application/vnd.oci.image.manifest.v1+json');
  const b = await store.write(new TextEncoder().encode('{"b":1}'), 'application/vnd.oci.image.manifest.v1+json');
  await Promise.all([store.tag('r.io/x:1', a), store.tag('r.io/y:1', b)]);
  await store.tag('r.io/x:1', b);
  assert.deepEqual((await store.list()).map((i) => [i.name, i.descriptor.digest]), [['r.io/x:1', b.digest], ['r.io/y:1', b.digest]]);
  assert.equal((await store.resolve('r.io/y:1'))?.digest, b.digest);
  assert.equal(await store.resolve('r.io/z:1'), undefined);
  parseImageLayoutFile(await readFile(join(store.root, 'oci-layout')));
  const index = parseIndex(await readFile(join(store.root, 'index.json')));
  assert.equal(index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'], 'r.io/x:1');
  assert.deepEqual(await store.pendingWrites(), []);
});

test('a stale lock from a dead process is taken over', async (t) => {
  const store = await tempStore(t);
  const d = await store.write(bytes, 'application/octet-stream');
  // PID 2^22+1 is above the default pid_max range, so no live process has it.
  await writeFile(join(store.tmpDir, 'index.json.lock'), `${2 ** 22 + 1} dead`);
  await store.tag('r.io/x:1', d);
  assert.equal((await store.resolve('r.io/x:1'))?.digest, d.digest);
});

test('hasVerified hashes the blob and drops a damaged one so it is fetched again', async (t) => {
  const store = await tempStore(t);
  const d = await store.write(bytes, 'application/octet-stream');
  assert.equal(await store.hasVerified(d), true);
  await writeFile(store.blobPath(d.digest), 'a blub');
  assert.equal(await store.has(d), true, 'same size: the cheap check cannot tell');
  assert.equal(await store.hasVerified(d), false);
  assert.equal(await store.has(d), false, 'the damaged copy is gone');
});

test('sweepAbandoned removes old temp files only', async (t) => {
  const store = await tempStore(t);
  await mkdir(store.tmpDir, { recursive: true });
  const old = join(store.tmpDir, 'old.tmp');
  const fresh = join(store.tmpDir, 'fresh.tmp');
  await writeFile(old, 'x');
  await writeFile(fresh, 'y');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
  await utimes(old, twoHoursAgo, twoHoursAgo);
  assert.equal(await store.sweepAbandoned(), 1);
  assert.deepEqual(await store.pendingWrites(), ['fresh.tmp']);
});
