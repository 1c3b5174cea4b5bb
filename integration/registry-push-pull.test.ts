// Push and pull against a real registry (Debian's docker-registry on 127.0.0.1): a real example
// built by the SDK goes up, comes down into an empty store byte for byte, a second push skips
// every blob, chunked uploads work, and skopeo reads what we push and we pull what skopeo pushes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildImage, packTool } from '../image/build.ts';
import { ImageLayout } from '../image/layout-tarball.ts';
import { pullImage } from '../image/pull.ts';
import { pushImage } from '../image/push.ts';
import { RegistryClient } from '../image/registry/client.ts';
import { resolveRunnable } from '../image/resolve.ts';
import { ImageStore } from '../image/store.ts';
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_LAYER_TAR, MEDIA_TYPE_OCI_MANIFEST, sha256 } from '../oci-spec/index.ts';
import { writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { startRegistry, wasmbpf } from '../test/helpers/registry.ts';

const run = promisify(execFile);
const EXAMPLE = new URL('../examples/execsnoop/', import.meta.url).pathname;

async function workdir(t: { after: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-pushpull-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Builds the execsnoop example (a copy, so the checkout's build/ is untouched) into `home`. */
async function buildExample(dir: string, home: string, tag: string) {
  const src = join(dir, 'execsnoop');
  await cp(EXAMPLE, src, { recursive: true, filter: (p) => !p.includes('/build') });
  return buildImage(src, { tag, home, output: join(dir, 'execsnoop.tar') });
}

test('build, push, pull into an empty store: the same bytes; a second push skips every blob', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const builderHome = join(dir, 'builder');
  const name = `${registry.host}/tools/execsnoop:v1`;
  const built = await buildExample(dir, builderHome, name);

  const first = await pushImage(name, { home: builderHome });
  assert.equal(first.digest, built.descriptor.digest);
  assert.equal(first.pushed.length, 4, 'config, module, two objects');
  assert.equal(first.skipped.length, 0);

  const second = await wasmbpf(['push', name], { WASMBPF_HOME: builderHome });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /0 blobs uploaded, 4 skipped: already in the registry/);
  assert.equal(second.stderr.match(/^skipped sha256:/gm)?.length, 4);

  const cleanHome = join(dir, 'clean');
  const pulled = await wasmbpf(['pull', name], { WASMBPF_HOME: cleanHome });
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`pulled ${name} ${built.descriptor.digest} \\(4 blobs downloaded, 0 already present\\)`));
  assert.ok(!pulled.stderr.includes('\x1b['), 'no progress drawing when stderr is not a terminal');
  // On a terminal (script(1) gives it one), progress is drawn per blob.
  const bin = new URL('../bin/wasmbpf', import.meta.url).pathname;
  const { stdout: tty } = await run('script', ['-qec', `${bin} pull ${name}`, '/dev/null'], {
    env: { ...process.env, WASMBPF_DEV: '1', WASMBPF_HOME: join(dir, 'tty') },
  });
  assert.match(tty, /\x1b\[2K[0-9a-f]{12} layer 0 {2}done/);
  const store = ImageStore.open(cleanHome);
  assert.equal((await store.resolve(name))?.digest, built.descriptor.digest);
  for (const blob of built.image.blobs) assert.deepEqual(Buffer.from(await store.read(blob.descriptor)), Buffer.from(blob.bytes));

  const runnable = await resolveRunnable(name, { home: cleanHome, hostArch: 'x86_64' });
  assert.deepEqual(Buffer.from(runnable.wasm), await readFile(join(dir, 'execsnoop', 'build', 'execsnoop.wasm')));
  assert.deepEqual(runnable.bpfObjects.map((o) => o.arch).sort(), ['arm64', 'x86_64']);
  assert.deepEqual(Buffer.from(runnable.bpfObjects.find((o) => o.arch === 'x86_64')!.bytes), await readFile(join(dir, 'execsnoop', 'build', 'execsnoop.x86_64.bpf.o')));

  // Pulling again finds everything present.
  const again = await pullImage(name, { home: cleanHome });
  assert.deepEqual({ fetched: again.fetched.length, present: again.present.length }, { fetched: 0, present: 4 });
  // A damaged blob in the store (same size, other bytes) is noticed and fetched again.
  const module = built.image.blobs[2]!;
  const damaged = Buffer.from(module.bytes);
  damaged[100] ^= 0xff;
  await writeFile(store.blobPath(module.descriptor.digest), damaged);
  const repaired = await pullImage(name, { home: cleanHome });
  assert.deepEqual(repaired.fetched, [module.descriptor.digest]);
  assert.deepEqual(Buffer.from(await store.read(module.descriptor)), Buffer.from(module.bytes));

  // `images` and `inspect` see it.
  const images = await wasmbpf(['images', '--json'], { WASMBPF_HOME: cleanHome });
  assert.deepEqual(JSON.parse(images.stdout).map((i: { name: string; arches: string[] }) => [i.name, i.arches]), [[name, ['x86_64', 'arm64']]]);
  const inspect = await wasmbpf(['inspect', name], { WASMBPF_HOME: cleanHome });
  assert.match(inspect.stdout, /ebpf-object\s+arm64\s+execsnoop\.bpf\.o/);
});

test('the same folder built twice gives the same digest', async (t) => {
  const dir = await workdir(t);
  const first = await buildExample(dir, join(dir, 'a'), 'x:1');
  await rm(join(dir, 'execsnoop', 'build'), { recursive: true });
  const tarball = await readFile(join(dir, 'execsnoop.tar'));
  const second = await buildImage(join(dir, 'execsnoop'), { tag: 'x:1', home: join(dir, 'b'), output: join(dir, 'execsnoop.tar') });
  assert.equal(second.descriptor.digest, first.descriptor.digest);
  assert.equal(sha256(await readFile(join(dir, 'execsnoop.tar'))), sha256(tarball));
});

test('chunked upload: a blob larger than the chunk size goes up in PATCHes and comes back intact', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const home = join(dir, 'home');
  const built = await buildExample(dir, home, 'execsnoop:chunky');
  const target = `${registry.host}/chunked/execsnoop:v1`;
  const result = await pushImage(target, { home, source: 'execsnoop:chunky', chunkSize: 4096 });
  assert.equal(result.pushed.length, 4);
  const other = join(dir, 'other');
  await pullImage(target, { home: other });
  const module = built.image.blobs[2]!;
  assert.ok(module.bytes.length > 4096 * 3, 'the module spans several chunks');
  assert.deepEqual(Buffer.from(await ImageStore.open(other).read(module.descriptor)), Buffer.from(module.bytes));
});

test('skopeo reads what we push; we pull what skopeo pushes', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const home = join(dir, 'home');
  const name = `${registry.host}/interop/execsnoop:v1`;
  const built = await buildExample(dir, home, name);
  await pushImage(name, { home });

  // skopeo copy to an OCI layout, then read that layout ourselves.
  const ociDir = join(dir, 'skopeo-oci');
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${name}`, `oci:${ociDir}:v1`]);
  const layout = await ImageLayout.open(ociDir);
  assert.equal(layout.select('v1').descriptor.digest, built.descriptor.digest, 'skopeo kept the manifest byte for byte');
  const fromSkopeo = await resolveRunnable(ociDir, { hostArch: 'arm64' });
  assert.equal(fromSkopeo.bpfObjects.length, 2);
  // skopeo inspect: the raw manifest is ours, and the image config reads as one.
  const { stdout: raw } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`]);
  assert.equal(sha256(raw), built.descriptor.digest);
  const { stdout: inspected } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]);
  const info = JSON.parse(inspected) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
  assert.deepEqual([info.Digest, info.Architecture, info.Os, info.Layers.length], [built.descriptor.digest, 'wasm', 'wasip1', 3]);

  // skopeo pushes our tarball; wasmbpf pulls it into an empty store.
  const bySkopeo = `${registry.host}/by-skopeo/execsnoop:s1`;
  await run('skopeo', ['copy', '--dest-tls-verify=false', `oci-archive:${join(dir, 'execsnoop.tar')}`, `docker://${bySkopeo}`]);
  const pulled = await pullImage(bySkopeo, { home: join(dir, 'h2') });
  assert.equal(pulled.descriptor.digest, built.descriptor.digest);

  // An ordinary OCI image (runwasi style: a tar layer holding the module) made and pushed by skopeo.
  const wasm = await readFile(join(dir, 'execsnoop', 'build', 'execsnoop.wasm'));
  const layer = await tarOf('app/execsnoop.wasm', wasm);
  const imageConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app/execsnoop.wasm'], Cmd: ['-x'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: sha256(imageConfig), size: imageConfig.length },
    layers: [{ mediaType: MEDIA_TYPE_OCI_LAYER_TAR, digest: sha256(layer), size: layer.length }],
  }));
  const plainDir = join(dir, 'plain');
  await mkdir(join(plainDir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [layer, imageConfig, manifest]) await writeFile(join(plainDir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  await writeFile(join(plainDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(plainDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [{ mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'p1' } }] }));
  const plain = `${registry.host}/plain/execsnoop:p1`;
  await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${plainDir}:p1`, `docker://${plain}`]);
  const { stdout: plainInspected } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${plain}`]);
  assert.equal(JSON.parse(plainInspected).Architecture, 'amd64');
  const plainRunnable = await resolveRunnable(plain, { home: join(dir, 'h3') });
  assert.deepEqual(Buffer.from(plainRunnable.wasm), wasm);
  assert.deepEqual(plainRunnable.args, ['/app/execsnoop.wasm', '-x']);
});

async function tarOf(name: string, body: Buffer): Promise<Buffer> {
  const tar = (await import('tar-stream')).default;
  const pack = tar.pack();
  pack.entry({ name, mode: 0o755, mtime: new Date(0) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('a multi-platform index: pull picks the wasm manifest and stores it under the name', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const home = join(dir, 'home');
  const wasmTool = await writeToolFiles('wasmside', ['x86_64', 'arm64']);
  const otherTool = await writeToolFiles('otherside', ['x86_64']);
  t.after(() => Promise.all([wasmTool.cleanup(), otherTool.cleanup()]));
  const a = await packTool(wasmTool.tool, { tag: 'a:1', home });
  const b = await packTool(otherTool.tool, { tag: 'b:1', home });
  await pushImage(`${registry.host}/multi/tool:a`, { home, source: 'a:1' });
  await pushImage(`${registry.host}/multi/tool:b`, { home, source: 'b:1' });
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests: [
      { ...b.descriptor, platform: { os: 'linux', architecture: 'arm64' } },
      { ...a.descriptor, platform: { os: 'wasip1', architecture: 'wasm' } },
    ],
  }));
  await new RegistryClient(registry.host, 'multi/tool').putManifest('multi', index, MEDIA_TYPE_OCI_INDEX);
  const name = `${registry.host}/multi/tool:multi`;
  const pulled = await pullImage(name, { home: join(dir, 'clean') });
  assert.equal(pulled.descriptor.digest, a.descriptor.digest);
  const runnable = await resolveRunnable(name, { home: join(dir, 'clean') });
  assert.equal(runnable.name, 'wasmside');
});
