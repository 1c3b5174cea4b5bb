// OCI layout tarballs: the layout `ctr images import` expects, byte-reproducible, and verified
// when read back.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tar from 'tar-stream';
import { parseIndex, sha256 } from '../../oci-spec/index.ts';
import { packTool } from '../../image/build.ts';
import { ImageLayout, writeLayoutTarball } from '../../image/layout-tarball.ts';
import { ImageStore } from '../../image/store.ts';
import { writeToolFiles } from '../helpers/image-tool-files.ts';

async function entries(path: string) {
  const out: { name: string; type: string; mtime: number; uid: number; gid: number; mode: number; body: Buffer }[] = [];
  const extract = tar.extract();
  createReadStream(path).pipe(extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    const h = e.header;
    out.push({ name: h.name, type: h.type ?? '', mtime: h.mtime?.getTime() ?? -1, uid: h.uid ?? -1, gid: h.gid ?? -1, mode: h.mode ?? 0, body: Buffer.concat(chunks) });
  }
  return out;
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const work = await mkdtemp(join(tmpdir(), 'wasmbpf-tarball-'));
  const files = await writeToolFiles('execsnoop', ['x86_64', 'arm64']);
  t.after(async () => {
    await rm(work, { recursive: true, force: true });
    await files.cleanup();
  });
  return { work, files, home: join(work, 'home') };
}

test('the tarball is an OCI image layout with sorted, timeless entries and a named manifest', async (t) => {
  const { work, files, home } = await setup(t);
  const out = join(work, 'execsnoop.tar');
  const built = await packTool(files.tool, { tag: '127.0.0.1:5000/tools/execsnoop:v1', output: out, home });
  const list = await entries(out);
  const names = list.map((e) => e.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('oci-layout') && names.includes('index.json') && names.includes('blobs/') && names.includes('blobs/sha256/'));
  for (const e of list) {
    assert.equal(e.mtime, 0, e.name);
    assert.equal(e.uid, 0);
    assert.equal(e.gid, 0);
    if (e.name.startsWith('blobs/sha256/') && e.type === 'file') assert.equal(sha256(e.body), `sha256:${e.name.slice(13)}`);
  }
  assert.equal(list.filter((e) => e.name.startsWith('blobs/sha256/') && e.type === 'file').length, 5, 'manifest, config, module, 2 objects');
  assert.deepEqual(JSON.parse(list.find((e) => e.name === 'oci-layout')!.body.toString()), { imageLayoutVersion: '1.0.0' });
  const index = parseIndex(list.find((e) => e.name === 'index.json')!.body);
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0]!.digest, built.descriptor.digest);
  assert.deepEqual(index.manifests[0]!.annotations, {
    'io.containerd.image.name': '127.0.0.1:5000/tools/execsnoop:v1',
    'org.opencontainers.image.ref.name': 'v1',
  });
});

test('the same image gives byte-identical tarballs', async (t) => {
  const { work, files, home } = await setup(t);
  await packTool(files.tool, { tag: 'x:1', output: join(work, 'a.tar'), home });
  await packTool(files.tool, { tag: 'x:1', output: join(work, 'b.tar'), home: join(work, 'other-home') });
  assert.equal(sha256(await readFile(join(work, 'a.tar'))), sha256(await readFile(join(work, 'b.tar'))));
});

test('reading back: images are listed and every blob is verified', async (t) => {
  const { work, files, home } = await setup(t);
  const out = join(work, 'x.tar');
  const built = await packTool(files.tool, { tag: 'x:1', output: out, home });
  const layout = await ImageLayout.open(out);
  assert.equal(layout.select().name, 'docker.io/library/x:1');
  assert.equal(layout.select('1').descriptor.digest, built.descriptor.digest);
  assert.throws(() => layout.select('nope'), { code: 'WASMBPF_IMAGE_NOT_FOUND' });
  for (const blob of built.image.blobs) assert.deepEqual(Buffer.from(await layout.read(blob.descriptor)), Buffer.from(blob.bytes));

  // A tarball whose module blob was swapped for other bytes of the same size is refused on read.
  const store = ImageStore.open(home);
  const module = built.image.blobs[2]!;
  const tampered = new Uint8Array(module.bytes);
  tampered[tampered.length - 1] ^= 0xff;
  await writeFile(store.blobPath(module.descriptor.digest), tampered);
  await assert.rejects(writeLayoutTarball(join(work, 'bad.tar'), store, [{ name: 'docker.io/library/x:1', descriptor: built.descriptor }]), {
    code: 'WASMBPF_DIGEST_MISMATCH',
  });
});

test('not a layout: clear errors', async (t) => {
  const { work } = await setup(t);
  const junk = join(work, 'junk.tar');
  await writeFile(junk, 'this is not a tarball at all'.repeat(40));
  await assert.rejects(ImageLayout.open(junk), { code: 'WASMBPF_IMAGE_LAYOUT' });
  await assert.rejects(ImageLayout.open(join(work, 'absent.tar')), { code: 'WASMBPF_IMAGE_LAYOUT', message: /cannot open/ });
  await assert.rejects(ImageLayout.open(work), { code: 'WASMBPF_IMAGE_LAYOUT', message: /no oci-layout file/ });
  await writeFile(join(work, 'wasmbpf.json'), '{"name": "t"}');
  await assert.rejects(ImageLayout.open(work), { code: 'WASMBPF_IMAGE_LAYOUT', message: /is a tool folder, not an image: `wasmbpf compile .*` makes build\/NAME\.wasm/ });
});
