// Validators: well-formed documents parse, malformed ones fail naming the document and field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_WASM_MODULE,
  commandLine,
  parseImageConfig,
  parseImageDocument,
  parseImageLayoutFile,
  parseIndex,
  parseManifest,
  sha256,
  validateDescriptor,
} from '../../oci-spec/index.ts';

const d = (mediaType: string, content: string) => ({ mediaType, digest: sha256(content), size: content.length });
const manifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPE_OCI_MANIFEST,
  config: d(MEDIA_TYPE_OCI_CONFIG, '{}'),
  layers: [d(MEDIA_TYPE_WASM_MODULE, 'wasm')],
};

function withPath(code: string, pattern: RegExp) {
  return (err: Error & { code?: string }) => {
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}

test('a valid manifest parses and keeps unknown fields', () => {
  const parsed = parseManifest(JSON.stringify({ ...manifest, extra: 1 }));
  assert.equal(parsed.layers[0]!.mediaType, MEDIA_TYPE_WASM_MODULE);
  assert.equal((parsed as unknown as { extra: number }).extra, 1);
});

test('manifest errors name the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...manifest, schemaVersion: 1 }, /manifest\.schemaVersion: expected 2/],
    [{ ...manifest, config: undefined }, /manifest\.config: is required/],
    [{ ...manifest, layers: {} }, /manifest\.layers: expected an array/],
    [{ ...manifest, layers: [{ ...manifest.layers[0], digest: 'sha256:abc' }] }, /manifest\.layers\[0\]\.digest: expected "sha256:"/],
    [{ ...manifest, layers: [{ ...manifest.layers[0], size: -1 }] }, /manifest\.layers\[0\]\.size: expected a non-negative integer/],
    [{ ...manifest, layers: [{ ...manifest.layers[0], size: 1.5 }] }, /layers\[0\]\.size/],
    [{ ...manifest, layers: [{ ...manifest.layers[0], mediaType: 'nonsense' }] }, /layers\[0\]\.mediaType: not a media type/],
    [{ ...manifest, layers: [{ ...manifest.layers[0], annotations: { a: 1 } }] }, /layers\[0\]\.annotations\["a"\]: expected a string/],
  ];
  for (const [doc, pattern] of cases) assert.throws(() => parseManifest(JSON.stringify(doc)), withPath('WASMBPF_OCI_INVALID', pattern));
  assert.throws(() => parseManifest('{not json'), withPath('WASMBPF_OCI_INVALID', /manifest: not valid JSON/));
  assert.throws(() => parseManifest('[]'), withPath('WASMBPF_OCI_INVALID', /expected a JSON object, got an array/));
});

test('an unknown manifest media type is its own error', () => {
  const doc = JSON.stringify({ ...manifest, mediaType: 'application/vnd.example.thing.v1+json' });
  assert.throws(() => parseManifest(doc), withPath('WASMBPF_OCI_MEDIA_TYPE', /unsupported manifest media type "application\/vnd\.example\.thing\.v1\+json"/));
  assert.throws(() => parseImageDocument(doc), withPath('WASMBPF_OCI_MEDIA_TYPE', /unsupported media type/));
});

test('a manifest served under one type but claiming another is rejected', () => {
  const doc = JSON.stringify({ ...manifest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
  assert.throws(() => parseManifest(doc, MEDIA_TYPE_OCI_MANIFEST), withPath('WASMBPF_OCI_INVALID', /served as/));
});

test('parseImageDocument tells an index from a manifest by type or shape', () => {
  const index = { schemaVersion: 2, manifests: [d(MEDIA_TYPE_OCI_MANIFEST, 'm')] };
  assert.equal(parseImageDocument(JSON.stringify(index)).kind, 'index');
  assert.equal(parseImageDocument(JSON.stringify(index), MEDIA_TYPE_OCI_INDEX).kind, 'index');
  const { mediaType: _, ...bare } = manifest;
  assert.equal(parseImageDocument(JSON.stringify(bare)).kind, 'manifest');
  assert.throws(() => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE_OCI_MANIFEST }] })), /index\.manifests\[0\]\.digest/);
});

test('descriptor platform is checked', () => {
  const base = d(MEDIA_TYPE_OCI_MANIFEST, 'm');
  validateDescriptor({ ...base, platform: { os: 'linux', architecture: 'amd64' } });
  assert.throws(() => validateDescriptor({ ...base, platform: { os: 'linux' } }, 'idx'), /idx\.platform\.architecture: is required/);
});

test('image config: command line is Entrypoint then Cmd; Env must be KEY=VALUE', () => {
  const config = parseImageConfig(JSON.stringify({ architecture: 'wasm', os: 'wasip1', config: { Entrypoint: ['tool'], Cmd: ['-v'], Env: ['A=1'] } }));
  assert.deepEqual(commandLine(config), ['tool', '-v']);
  assert.deepEqual(commandLine(parseImageConfig('{}')), []);
  assert.throws(() => parseImageConfig(JSON.stringify({ config: { Env: ['NOEQUALS'] } })), /config\.config\.Env\[0\]: expected KEY=VALUE/);
  assert.throws(() => parseImageConfig(JSON.stringify({ config: { Cmd: 'sh -c' } })), /config\.config\.Cmd: expected an array of strings/);
  assert.throws(() => parseImageConfig(JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['x'] } })), /rootfs\.diff_ids\[0\]/);
});

test('oci-layout version 1.0.0 only', () => {
  assert.deepEqual(parseImageLayoutFile('{"imageLayoutVersion":"1.0.0"}'), { imageLayoutVersion: '1.0.0' });
  assert.throws(() => parseImageLayoutFile('{"imageLayoutVersion":"2.0.0"}'), /unsupported version "2\.0\.0"/);
});
