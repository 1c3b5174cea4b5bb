// Image assembly: deterministic digests, the documented layout, and refusal of bad inputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EMPTY_LAYER_DIFF_ID,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_WASMBPF_OBJECT,
  MEDIA_TYPE_WASM_MODULE,
  parseImageConfig,
  parseManifest,
  readObjectArch,
  selectForHost,
  sha256,
  verifyBlob,
} from '../../oci-spec/index.ts';
import { assembleImage, createdFromEnv } from '../../image/assemble.ts';
import { tinyBpfObject, tinyWasm } from '../helpers/image-tool-files.ts';

const input = () => ({
  name: 'execsnoop',
  wasm: tinyWasm('execsnoop'),
  objects: [
    { arch: 'arm64' as const, name: 'execsnoop.bpf.o', bytes: tinyBpfObject('arm64') },
    { arch: 'x86_64' as const, name: 'execsnoop.bpf.o', bytes: tinyBpfObject('x86_64') },
  ],
  args: ['-v'],
});

test('the fixtures are what the real readers accept', () => {
  assert.equal(readObjectArch(tinyBpfObject('arm64')), 'arm64');
  assert.equal(readObjectArch(tinyBpfObject(null)), undefined);
});

test('same inputs give the same manifest digest, whatever the object order', () => {
  const a = assembleImage(input());
  const reordered = input();
  reordered.objects.reverse();
  const b = assembleImage(reordered);
  assert.equal(a.manifest.digest, b.manifest.digest);
  assert.deepEqual(a.blobs.map((x) => x.descriptor.digest), b.blobs.map((x) => x.descriptor.digest));
  // And any change of input changes it.
  assert.notEqual(assembleImage({ ...input(), args: [] }).manifest.digest, a.manifest.digest);
});

test('the image: an OCI config with the command line, module first, objects annotated in arch order', () => {
  const image = assembleImage(input());
  for (const blob of image.blobs) verifyBlob(blob.descriptor, blob.bytes);
  const manifest = parseManifest(image.blobs[0]!.bytes);
  assert.equal(image.blobs[0]!.descriptor.digest, image.manifest.digest);
  assert.equal(manifest.config.mediaType, MEDIA_TYPE_OCI_CONFIG);
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [MEDIA_TYPE_WASM_MODULE, MEDIA_TYPE_WASMBPF_OBJECT, MEDIA_TYPE_WASMBPF_OBJECT]);
  assert.deepEqual(manifest.layers.slice(1).map((l) => l.annotations), [
    { 'org.wasmbpf.object.arch': 'x86_64', 'org.wasmbpf.object.name': 'execsnoop.bpf.o' },
    { 'org.wasmbpf.object.arch': 'arm64', 'org.wasmbpf.object.name': 'execsnoop.bpf.o' },
  ]);
  const config = parseImageConfig(image.blobs.find((b) => b.descriptor.digest === manifest.config.digest)!.bytes);
  assert.deepEqual(config.config?.Entrypoint, ['execsnoop']);
  assert.deepEqual(config.config?.Cmd, ['-v']);
  assert.equal(config.created, undefined, 'no timestamp unless SOURCE_DATE_EPOCH');
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [EMPTY_LAYER_DIFF_ID, EMPTY_LAYER_DIFF_ID, EMPTY_LAYER_DIFF_ID] }, 'one empty-layer diff_id per layer');
  assert.equal(sha256(new Uint8Array(1024)), EMPTY_LAYER_DIFF_ID);
  assert.equal(selectForHost(manifest, 'arm64').hostObjects[0]!.descriptor.digest, manifest.layers[2]!.digest);
});

test('SOURCE_DATE_EPOCH becomes the created time, deterministically', () => {
  assert.equal(createdFromEnv({ SOURCE_DATE_EPOCH: '1700000000' }), '2023-11-14T22:13:20Z');
  assert.equal(createdFromEnv({}), undefined);
  assert.throws(() => createdFromEnv({ SOURCE_DATE_EPOCH: 'yesterday' }), { code: 'WASMBPF_BUILD' });
  const a = assembleImage({ ...input(), created: '2023-11-14T22:13:20Z' });
  assert.equal(a.manifest.digest, assembleImage({ ...input(), created: '2023-11-14T22:13:20Z' }).manifest.digest);
  assert.equal(parseManifest(a.blobs[0]!.bytes).annotations?.['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
});

test('bad inputs are refused with WASMBPF_BUILD', () => {
  assert.throws(() => assembleImage({ ...input(), wasm: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }), { code: 'WASMBPF_BUILD', message: /not a WebAssembly binary/ });
  assert.throws(() => assembleImage({ ...input(), name: '../x' }), { code: 'WASMBPF_BUILD' });
  const objects = [{ arch: 'x86_64' as const, name: 'x.bpf.o', bytes: tinyWasm() }];
  assert.throws(() => assembleImage({ ...input(), objects }), { code: 'WASMBPF_BUILD', message: /not an eBPF ELF object/ });
  const mislabelled = [{ arch: 'x86_64' as const, name: 'x.bpf.o', bytes: tinyBpfObject('arm64') }];
  assert.throws(() => assembleImage({ ...input(), objects: mislabelled }), { code: 'WASMBPF_BUILD', message: /labelled x86_64 but was built for arm64/ });
  const twice = [...input().objects, { arch: 'arm64' as const, name: 'execsnoop.bpf.o', bytes: tinyBpfObject('arm64', 'other') }];
  assert.throws(() => assembleImage({ ...input(), objects: twice }), { code: 'WASMBPF_BUILD', message: /two eBPF objects named execsnoop\.bpf\.o for arm64/ });
});
