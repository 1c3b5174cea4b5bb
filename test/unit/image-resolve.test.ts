// resolveRunnable from tarballs, layout directories and bare modules: arch-aware selection,
// the clear error for an image with no object for the host, and runwasi-style rootfs images.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_TAR_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_WASM_CONFIG,
  MEDIA_TYPE_WASM_MODULE,
  sha256,
  type Descriptor,
} from '../../oci-spec/index.ts';
import { packTool } from '../../image/build.ts';
import { inspectTarget } from '../../image/inspect.ts';
import { resolveRunnable } from '../../image/resolve.ts';
import { tinyWasm, writeToolFiles } from '../helpers/image-tool-files.ts';

async function workdir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-resolve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function imageTar(t: { after: (fn: () => Promise<void>) => void }, arches: ('x86_64' | 'arm64' | 's390x')[], args: string[] = []) {
  const dir = await workdir(t);
  const files = await writeToolFiles('execsnoop', arches, args);
  t.after(() => files.cleanup());
  const out = join(dir, 'execsnoop.tar');
  await packTool(files.tool, { tag: 'execsnoop:test', output: out, home: join(dir, 'home') });
  return { dir, out };
}

test('on x86_64 the image resolves with every object; the host has its own', async (t) => {
  const { out, dir } = await imageTar(t, ['x86_64', 'arm64'], ['-t']);
  const r = await resolveRunnable(out, { hostArch: 'x86_64', home: join(dir, 'empty-home') });
  assert.equal(r.name, 'execsnoop');
  assert.deepEqual(r.args, ['execsnoop', '-t']);
  assert.deepEqual(r.env, []);
  assert.deepEqual(Buffer.from(r.wasm), Buffer.from(tinyWasm('execsnoop')));
  assert.deepEqual(r.bpfObjects.map((o) => [o.arch, o.name]), [['x86_64', 'execsnoop.bpf.o'], ['arm64', 'execsnoop.bpf.o']]);
});

test('with the host overridden to arm64 the same image resolves too', async (t) => {
  const { out } = await imageTar(t, ['x86_64', 'arm64']);
  const r = await resolveRunnable(out, { hostArch: 'arm64' });
  assert.ok(r.bpfObjects.some((o) => o.arch === 'arm64'));
});

test('an image with no object for the host fails naming both architectures', async (t) => {
  const { out } = await imageTar(t, ['arm64', 's390x']);
  await assert.rejects(resolveRunnable(out, { hostArch: 'x86_64' }), {
    code: 'WASMBPF_NO_OBJECT_FOR_ARCH',
    message: 'the image has no eBPF object for the host architecture x86_64; it has objects for arm64, s390x',
  });
});

test('a bare module runs as itself: argv[0] is the path it was given, no objects', async (t) => {
  const dir = await workdir(t);
  const path = join(dir, 'hello.wasm');
  await writeFile(path, tinyWasm('hello'));
  const r = await resolveRunnable(path);
  assert.deepEqual({ name: r.name, args: r.args, objects: r.bpfObjects.length }, { name: 'hello', args: [path], objects: 0 });
  const info = await inspectTarget(path);
  assert.equal(info.kind, 'module');
});

test('paths that do not exist are clear errors, not registry lookups', async () => {
  await assert.rejects(resolveRunnable('./nope/tool.tar'), { code: 'WASMBPF_TARGET', message: /no such file/ });
  await assert.rejects(resolveRunnable('/nonexistent/hello.wasm'), { code: 'WASMBPF_TARGET' });
});

test('a reference that is neither in the store nor fetchable says it was not in the store', async (t) => {
  // Port 1 on loopback refuses at once: the same failure a mistyped name meets at docker.io.
  const home = join(await workdir(t), 'home');
  const notInStore = /^127\.0\.0\.1:1\/execsnop:0\.1 is not in the local store \(.*home.*\) and fetching it failed: cannot reach the registry/;
  await assert.rejects(resolveRunnable('127.0.0.1:1/execsnop:0.1', { home }), { code: 'WASMBPF_REGISTRY_UNREACHABLE', message: notInStore });
  await assert.rejects(inspectTarget('127.0.0.1:1/execsnop:0.1', { home }), { code: 'WASMBPF_REGISTRY_UNREACHABLE', message: notInStore });
});

/** Writes an OCI layout directory holding one manifest (and its blobs), optionally under an index. */
async function layoutDir(dir: string, manifest: object, blobs: Uint8Array[]): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  for (const b of [...blobs, manifestBytes]) await writeFile(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const entry: Descriptor = { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: sha256(manifestBytes), size: manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } };
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [entry] }));
}

const desc = (mediaType: string, bytes: Uint8Array): Descriptor => ({ mediaType, digest: sha256(bytes), size: bytes.length });

async function tarGz(files: Record<string, Uint8Array | { symlink: string }>): Promise<Uint8Array> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) {
    if (body instanceof Uint8Array) pack.entry({ name, mode: 0o644 }, Buffer.from(body));
    else pack.entry({ name, type: 'symlink', linkname: body.symlink });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

test('a runwasi-style image: the module is a file in the rootfs named by the Entrypoint', async (t) => {
  const dir = await workdir(t);
  const lower = await tarGz({ 'app/old.wasm': tinyWasm('old'), 'app/hello.wasm': tinyWasm('lower') });
  const upper = await tarGz({ 'app/.wh.old.wasm': new Uint8Array(), 'app/real.wasm': tinyWasm('upper'), 'app/hello.wasm': { symlink: 'real.wasm' } });
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'wasm', os: 'wasip1', config: { Entrypoint: ['/app/hello.wasm'], Cmd: ['--x'], Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [] } }));
  await layoutDir(dir, { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config: desc(MEDIA_TYPE_OCI_CONFIG, config), layers: [desc(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, lower), desc(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, upper)] }, [config, lower, upper]);
  const r = await resolveRunnable(dir, { hostArch: 'x86_64' });
  assert.deepEqual(Buffer.from(r.wasm), Buffer.from(tinyWasm('upper')), 'the top layer wins, through its symlink');
  assert.deepEqual(r.args, ['/app/hello.wasm', '--x']);
  assert.deepEqual(r.env, ['A=1']);
  assert.equal(r.name, 'hello');

  // The whiteout hides the lower layer's file.
  const hidden = join(dir, 'hidden');
  const config2 = new TextEncoder().encode(JSON.stringify({ config: { Entrypoint: ['app/old.wasm'] } }));
  await layoutDir(hidden, { schemaVersion: 2, config: desc(MEDIA_TYPE_OCI_CONFIG, config2), layers: [desc(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, lower), desc(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, upper)] }, [config2, lower, upper]);
  await assert.rejects(resolveRunnable(hidden), { code: 'WASMBPF_IMAGE_LAYOUT', message: /no file \/app\/old\.wasm/ });
});

test('a wasm-bpf (oci-distribution) artifact: config {} and one module layer', async (t) => {
  const dir = await workdir(t);
  const wasm = tinyWasm('artifact');
  const config = new TextEncoder().encode('{}');
  await layoutDir(dir, { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config: desc(MEDIA_TYPE_WASM_CONFIG, config), layers: [desc(MEDIA_TYPE_WASM_MODULE, wasm)] }, [config, wasm]);
  const r = await resolveRunnable(dir);
  assert.deepEqual(Buffer.from(r.wasm), Buffer.from(wasm));
  assert.equal(r.bpfObjects.length, 0);
  assert.equal(r.args.length, 1);
});

test('a layout missing a layer blob names the blob', async (t) => {
  const dir = await workdir(t);
  const wasm = tinyWasm('missing');
  const config = new TextEncoder().encode('{}');
  await layoutDir(dir, { schemaVersion: 2, config: desc(MEDIA_TYPE_WASM_CONFIG, config), layers: [desc(MEDIA_TYPE_WASM_MODULE, wasm)] }, [config]);
  await assert.rejects(resolveRunnable(dir), { code: 'WASMBPF_BLOB_MISSING', message: new RegExp(sha256(wasm)) });
});

test('inspect describes layers, roles, architectures and the command line', async (t) => {
  const { out } = await imageTar(t, ['x86_64', 'arm64'], ['-t']);
  const info = await inspectTarget(out, { hostArch: 'x86_64' });
  assert.equal(info.kind, 'image');
  if (info.kind !== 'image') return;
  assert.equal(info.format, 'wasmbpf');
  assert.equal(info.name, 'docker.io/library/execsnoop:test');
  assert.deepEqual(info.command, ['execsnoop', '-t']);
  assert.deepEqual(info.arches, ['x86_64', 'arm64']);
  assert.deepEqual(info.layers.map((l) => [l.role, l.arch ?? '-', l.objectName ?? '-']), [
    ['module', '-', '-'],
    ['ebpf-object', 'x86_64', 'execsnoop.bpf.o'],
    ['ebpf-object', 'arm64', 'execsnoop.bpf.o'],
  ]);
  const layerBytes = info.layers.reduce((n, l) => n + l.size, 0);
  assert.ok(info.size > layerBytes && info.size < layerBytes + 4096, 'layers plus a small manifest and config');
});
