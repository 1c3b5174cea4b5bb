// Signed images against the real docker-registry: `wasmbpf key generate`, `sign`, and
// `pull/run --verify-key` end to end through the CLI. Tampered images (a swapped layer, a copy
// in another repository, a signature moved to another digest, a truncated or foreign signature)
// are refused with the image, the digest and the reason, and nothing is stored. Interop with an
// independent implementation: registry-signing-interop.test.ts.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pullImage } from '../image/pull.ts';
import { RegistryClient } from '../image/registry/client.ts';
import { readSignatureManifest } from '../image/signature/attachment.ts';
import { readVerificationKeys, type VerificationKey } from '../image/signature/key-files.ts';
import { ImageStore } from '../image/store.ts';
import { ANNOTATION_COSIGN_SIGNATURE, MEDIA_TYPE_OCI_MANIFEST, sha256, signatureTag, type Manifest } from '../oci-spec/index.ts';
import { assertStoreClean, startRegistry, wasmbpf, type Registry } from '../test/helpers/registry.ts';
import { exitingWasm, generateKey, pushTool, sign, workdir } from '../test/helpers/signing.ts';

function client(registry: Registry, repository: string): RegistryClient {
  return new RegistryClient(registry.host, repository);
}

async function expectRefused(name: string, home: string, keys: VerificationKey[], code: string, why: RegExp, digest: string): Promise<void> {
  await assert.rejects(pullImage(name, { home, verifyKeys: keys }), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.startsWith(`image ${name} (${digest}) is refused: `), err.message);
    assert.match(err.message, why);
    return true;
  });
  await assertStoreClean(home, name);
  assert.deepEqual(await ImageStore.open(home).blobs(), [], `nothing of ${name} was downloaded`);
}

test('key generate, sign, pull --verify-key: the signed image pulls; unsigned and wrong-key images are refused and leave nothing', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'cosign');
  const other = await generateKey(dir, 'other');
  const name = `${registry.host}/tools/signed:v1`;
  const digest = await pushTool(dir, name, exitingWasm(7));

  const unsigned = await wasmbpf(['pull', '--verify-key', keys.pub, name], { WASMBPF_HOME: join(dir, 'h0') });
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, new RegExp(`image ${name} \\(${digest}\\) is refused: no signature: ${registry.host}/tools/signed has no ${signatureTag(digest)}`));
  await assertStoreClean(join(dir, 'h0'), name);

  const signed = await sign(name, keys.key);
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(signed.stdout, `signed ${name} ${digest} (signature in ${signatureTag(digest)})\n`);
  const again = await sign(name, keys.key);
  assert.match(again.stdout, /^already signed with this key:/, 'the same key twice adds nothing');
  const stored = await readSignatureManifest(client(registry, 'tools/signed'), digest);
  assert.equal(stored?.manifest.layers.length, 1);
  assert.equal(stored?.manifest.mediaType, MEDIA_TYPE_OCI_MANIFEST);

  const home = join(dir, 'h1');
  const pulled = await wasmbpf(['pull', '--verify-key', keys.pub, name], { WASMBPF_HOME: home });
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`pulled ${name} ${digest}`));
  assert.equal((await ImageStore.open(home).resolve(name))?.digest, digest);

  const wrong = await wasmbpf(['pull', '--verify-key', other.pub, name], { WASMBPF_HOME: join(dir, 'h2') });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, new RegExp(`image ${name} \\(${digest}\\) is refused: its one signature: the signature of payload sha256:[0-9a-f]{64} was not made with the key ${other.pub}`));
  await assertStoreClean(join(dir, 'h2'), name);

  // A second signer adds a layer; either key now verifies.
  assert.equal((await sign(name, other.key)).code, 0);
  assert.equal((await readSignatureManifest(client(registry, 'tools/signed'), digest))?.manifest.layers.length, 2);
  const either = await wasmbpf(['pull', '--verify-key', other.pub, name], { WASMBPF_HOME: join(dir, 'h3') });
  assert.equal(either.code, 0, either.stderr);

  const badPassword = await wasmbpf(['sign', '--key', keys.key, name], { WASMBPF_KEY_PASSWORD: 'not it' });
  assert.equal(badPassword.code, 1);
  assert.match(badPassword.stderr, /cosign\.key: wrong password/);
});

test('run --verify-key: a refused image is neither stored nor run; a signed one runs (exit 7 from the module)', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'cosign');
  const name = `${registry.host}/tools/runme:v1`;
  const digest = await pushTool(dir, name, exitingWasm(7));
  const home = join(dir, 'home');

  const refused = await wasmbpf(['run', '--verify-key', keys.pub, name], { WASMBPF_HOME: home });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`wasmbpf run: image ${name} \\(${digest}\\) is refused: no signature`));
  await assertStoreClean(home, name);

  assert.equal((await sign(name, keys.key)).code, 0);
  const ran = await wasmbpf(['run', '--verify-key', keys.pub, name], { WASMBPF_HOME: home });
  assert.equal(ran.code, 7, ran.stderr);

  // A stored copy is not trusted on its own: the tag now points at an unsigned manifest.
  const swapped = await pushTool(dir, name, exitingWasm(9));
  const again = await wasmbpf(['run', '--verify-key', keys.pub, name], { WASMBPF_HOME: home });
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`image ${name} \\(${swapped}\\) is refused: no signature`));

  // A module file carries no signature: --verify-key refuses it rather than run it unchecked.
  await writeFile(join(dir, 'x.wasm'), exitingWasm(0));
  const file = await wasmbpf(['run', '--verify-key', keys.pub, join(dir, 'x.wasm')], { WASMBPF_HOME: home });
  assert.equal(file.code, 1);
  assert.match(file.stderr, /x\.wasm is a file: signatures are verified for image references in a registry/);
});

test('tampering: a swapped layer, a copy in another repository, a signature moved to another digest, a truncated signature: each refused, nothing stored', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'cosign');
  const verifyKeys = await readVerificationKeys([keys.pub]);
  const original = `${registry.host}/tools/tamper:v1`;
  const signedDigest = await pushTool(dir, original, exitingWasm(1));
  assert.equal((await sign(original, keys.key)).code, 0);
  const repo = client(registry, 'tools/tamper');
  const signatureManifest = (await readSignatureManifest(repo, signedDigest))!.manifest;

  // Swapped layer: another module under the signed tag; the new digest has no signature.
  const swapped = await pushTool(dir, `${registry.host}/tools/tamper:v2`, exitingWasm(2));
  const v2 = await repo.getManifest('v2');
  await repo.putManifest('v1', v2.bytes, MEDIA_TYPE_OCI_MANIFEST);
  await expectRefused(original, join(dir, 'h1'), verifyKeys, 'WASMBPF_SIGNATURE_MISSING', /no signature/, swapped);

  // Signature for another digest: the signed image's signature manifest re-tagged as v2's.
  await repo.putManifest(signatureTag(swapped), Buffer.from(JSON.stringify(signatureManifest)), MEDIA_TYPE_OCI_MANIFEST);
  await expectRefused(original, join(dir, 'h2'), verifyKeys, 'WASMBPF_SIGNATURE_OTHER_DIGEST', new RegExp(`is for another image, ${signedDigest}`), swapped);

  // Re-tagged into another repository: the same manifest and its signature copied there; the
  // signature names the first repository.
  const copy = `${registry.host}/other/tamper:v1`;
  await pushTool(dir, copy, exitingWasm(1));
  const copyRepo = client(registry, 'other/tamper');
  assert.equal(sha256((await copyRepo.getManifest('v1')).bytes), signedDigest, 'the same image, byte for byte');
  await copyBlobs(repo, copyRepo, signatureManifest);
  await copyRepo.putManifest(signatureTag(signedDigest), Buffer.from(JSON.stringify(signatureManifest)), MEDIA_TYPE_OCI_MANIFEST);
  await expectRefused(copy, join(dir, 'h3'), verifyKeys, 'WASMBPF_SIGNATURE_OTHER_REPOSITORY', new RegExp(`names the repository ${registry.host}/tools/tamper:v1`), signedDigest);

  // Truncated signature: the annotation cut short.
  const truncated = structuredClone(signatureManifest);
  const layer = truncated.layers[0]!;
  layer.annotations![ANNOTATION_COSIGN_SIGNATURE] = layer.annotations![ANNOTATION_COSIGN_SIGNATURE]!.slice(0, 40);
  await copyRepo.putManifest(signatureTag(signedDigest), Buffer.from(JSON.stringify(truncated)), MEDIA_TYPE_OCI_MANIFEST);
  await expectRefused(copy, join(dir, 'h4'), verifyKeys, 'WASMBPF_SIGNATURE_MALFORMED', /not a DER ECDSA signature \(30 bytes; truncated\?\)/, signedDigest);

  // A signature of other bytes: v2's valid signature put on the original payload.
  await repo.putManifest('v1', Buffer.from(JSON.stringify(await manifestOf(repo, signedDigest))), MEDIA_TYPE_OCI_MANIFEST);
  assert.equal((await sign(`${registry.host}/tools/tamper:v2`, keys.key)).code, 0);
  const v2Signature = (await readSignatureManifest(repo, swapped))!.manifest.layers.at(-1)!.annotations![ANNOTATION_COSIGN_SIGNATURE]!;
  const forged = structuredClone(signatureManifest);
  forged.layers[0]!.annotations![ANNOTATION_COSIGN_SIGNATURE] = v2Signature;
  await repo.putManifest(signatureTag(signedDigest), Buffer.from(JSON.stringify(forged)), MEDIA_TYPE_OCI_MANIFEST);
  await expectRefused(original, join(dir, 'h5'), verifyKeys, 'WASMBPF_SIGNATURE_WRONG_KEY', /was not made with the key/, signedDigest);
});

async function manifestOf(repo: RegistryClient, digest: string): Promise<unknown> {
  return JSON.parse(Buffer.from((await repo.getManifest(digest)).bytes).toString());
}

async function copyBlobs(from: RegistryClient, to: RegistryClient, manifest: Manifest): Promise<void> {
  for (const blob of [manifest.config, ...manifest.layers]) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of await from.getBlob(blob)) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    await to.pushBlob(blob, async (offset, length) => bytes.subarray(offset, offset + length), { chunkSize: bytes.length });
  }
}
