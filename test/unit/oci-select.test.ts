// Arch-aware selection: the host's object is picked, a missing one is a clear error, and layer
// types that have no place in an image are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ANNOTATION_OBJECT_ARCH,
  ANNOTATION_OBJECT_NAME,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER_TAR_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_WASM_CONFIG,
  MEDIA_TYPE_WASMBPF_OBJECT,
  MEDIA_TYPE_WASM_MODULE,
  NoObjectForArchError,
  classifyLayers,
  selectForHost,
  selectManifest,
  sha256,
  type Descriptor,
  type Manifest,
} from '../../oci-spec/index.ts';

const d = (mediaType: string, content: string, annotations?: Record<string, string>): Descriptor => ({
  mediaType,
  digest: sha256(content),
  size: content.length,
  ...(annotations ? { annotations } : {}),
});
const object = (arch: string, name = 'tool.bpf.o') =>
  d(MEDIA_TYPE_WASMBPF_OBJECT, `${arch}/${name}`, { [ANNOTATION_OBJECT_ARCH]: arch, [ANNOTATION_OBJECT_NAME]: name });
const image = (layers: Descriptor[], config = MEDIA_TYPE_OCI_CONFIG): Manifest => ({
  schemaVersion: 2,
  mediaType: MEDIA_TYPE_OCI_MANIFEST,
  config: d(config, '{}'),
  layers,
});
const module = d(MEDIA_TYPE_WASM_MODULE, 'wasm');

test('on x86_64 the x86_64 object is picked', () => {
  const sel = selectForHost(image([module, object('x86_64'), object('arm64')]), 'x86_64');
  assert.equal(sel.module, module);
  assert.deepEqual(sel.hostObjects.map((o) => [o.arch, o.name]), [['x86_64', 'tool.bpf.o']]);
  assert.deepEqual(sel.arches, ['x86_64', 'arm64']);
  assert.equal(sel.objects.length, 2);
});

test('with the host overridden to arm64 the arm64 layer is picked', () => {
  const arm = object('arm64');
  const sel = selectForHost(image([module, object('x86_64'), arm]), 'arm64');
  assert.equal(sel.hostObjects.length, 1);
  assert.equal(sel.hostObjects[0]!.descriptor, arm);
});

test('aliases in the annotation are normalized (aarch64 -> arm64, amd64 -> x86_64)', () => {
  const sel = selectForHost(image([module, object('aarch64'), object('amd64')]), 'arm64');
  assert.deepEqual(sel.arches, ['x86_64', 'arm64']);
  assert.equal(sel.hostObjects[0]!.arch, 'arm64');
});

test('no object for the host: WASMBPF_NO_OBJECT_FOR_ARCH naming the host and what the image has', () => {
  assert.throws(() => selectForHost(image([module, object('arm64'), object('s390x')]), 'x86_64'), (err: unknown) => {
    assert.ok(err instanceof NoObjectForArchError);
    assert.equal(err.code, 'WASMBPF_NO_OBJECT_FOR_ARCH');
    assert.equal(err.hostArch, 'x86_64');
    assert.deepEqual(err.available, ['arm64', 's390x']);
    assert.match(err.message, /host architecture x86_64.*arm64, s390x/);
    return true;
  });
});

test('an image without objects selects fine (the module embeds its own or needs none)', () => {
  const sel = selectForHost(image([module]), 'riscv64');
  assert.deepEqual(sel.hostObjects, []);
  assert.deepEqual(sel.arches, []);
});

test('several objects per arch are all picked for the host', () => {
  const sel = selectForHost(image([module, object('x86_64', 'a.bpf.o'), object('x86_64', 'b.bpf.o'), object('arm64', 'a.bpf.o')]), 'x86_64');
  assert.deepEqual(sel.hostObjects.map((o) => o.name), ['a.bpf.o', 'b.bpf.o']);
});

test('bad object annotations and duplicates are refused with the layer named', () => {
  const noArch = d(MEDIA_TYPE_WASMBPF_OBJECT, 'x', { [ANNOTATION_OBJECT_NAME]: 'x.bpf.o' });
  assert.throws(() => classifyLayers(image([module, noArch])), /layers\[1\]: eBPF object layer lacks the org\.wasmbpf\.object\.arch/);
  const badArch = d(MEDIA_TYPE_WASMBPF_OBJECT, 'x', { [ANNOTATION_OBJECT_ARCH]: 'mips', [ANNOTATION_OBJECT_NAME]: 'x.bpf.o' });
  assert.throws(() => classifyLayers(image([module, badArch])), /unknown architecture "mips"/);
  const pathName = d(MEDIA_TYPE_WASMBPF_OBJECT, 'x', { [ANNOTATION_OBJECT_ARCH]: 'arm64', [ANNOTATION_OBJECT_NAME]: '../x.o' });
  assert.throws(() => classifyLayers(image([module, pathName])), /plain file name/);
  assert.throws(() => classifyLayers(image([module, object('arm64'), object('aarch64')])), /second eBPF object tool\.bpf\.o for arm64/);
  assert.throws(() => classifyLayers(image([module, module])), /second Wasm module layer/);
});

test('an artifact image needs a module; unknown layer and config types are refused', () => {
  assert.throws(() => classifyLayers(image([object('x86_64')], MEDIA_TYPE_WASM_CONFIG)), { code: 'WASMBPF_OCI_INVALID', message: /no Wasm module layer/ });
  // With an image config and no module layer the image is an ordinary one, and needs a rootfs.
  assert.throws(() => classifyLayers(image([object('x86_64')])), { code: 'WASMBPF_OCI_INVALID', message: /neither a Wasm module layer nor a root filesystem/ });
  assert.throws(() => classifyLayers(image([module, d('application/vnd.example.blob', 'b')])), {
    code: 'WASMBPF_OCI_MEDIA_TYPE',
    message: /layers\[1\]: unsupported layer media type "application\/vnd\.example\.blob"/,
  });
  assert.throws(() => classifyLayers(image([module], 'application/vnd.example.config+json')), { code: 'WASMBPF_OCI_MEDIA_TYPE', message: /config media type/ });
  // Tar layers do not belong in a wasm-bpf artifact.
  assert.throws(() => classifyLayers(image([module, d(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, 't')], MEDIA_TYPE_WASM_CONFIG)), { code: 'WASMBPF_OCI_MEDIA_TYPE' });
});

test('wasm-bpf artifacts and runwasi-style rootfs images classify', () => {
  assert.equal(classifyLayers(image([module], MEDIA_TYPE_WASM_CONFIG)).kind, 'artifact');
  const tar = d(MEDIA_TYPE_OCI_LAYER_TAR_GZIP, 't');
  const rootfs = classifyLayers(image([tar], MEDIA_TYPE_OCI_CONFIG));
  assert.equal(rootfs.kind, 'rootfs');
  assert.deepEqual(rootfs.rootfs, [tar]);
  assert.equal(rootfs.module, undefined);
});

test('selectManifest: the only one, else wasm, else linux/host, else a clear error', () => {
  const m = (content: string, platform?: { os: string; architecture: string }) => ({ ...d(MEDIA_TYPE_OCI_MANIFEST, content), ...(platform ? { platform } : {}) });
  const one = m('one');
  assert.equal(selectManifest({ schemaVersion: 2, manifests: [one] }, 'x86_64'), one);
  const wasm = m('w', { os: 'wasip1', architecture: 'wasm' });
  const amd = m('a', { os: 'linux', architecture: 'amd64' });
  const arm = m('r', { os: 'linux', architecture: 'arm64' });
  assert.equal(selectManifest({ schemaVersion: 2, manifests: [amd, wasm] }, 'x86_64'), wasm);
  assert.equal(selectManifest({ schemaVersion: 2, manifests: [amd, arm] }, 'arm64'), arm);
  assert.throws(() => selectManifest({ schemaVersion: 2, manifests: [amd, arm] }, 's390x'), {
    code: 'WASMBPF_NO_MANIFEST_FOR_PLATFORM',
    message: /linux\/s390x.*linux\/amd64, linux\/arm64/,
  });
});
