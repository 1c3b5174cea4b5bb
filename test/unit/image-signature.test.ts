// The cosign formats without a registry: the encrypted key (scrypt + nacl secretbox, PEM), the
// simple-signing payload, the signature tag, and the DER shape check that tells a truncated
// signature from one made with another key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { parseSimpleSigningPayload, signatureTag, simpleSigningPayload, OciFormatError } from '../../oci-spec/index.ts';
import { SigningKeyError } from '../../image/signature/errors.ts';
import { decryptPrivateKey, encryptPrivateKey, generateKeyPair, parsePublicKey, PRIVATE_KEY_PEM_TYPE } from '../../image/signature/keys.ts';
import { isDerEcdsaSignature } from '../../image/signature/verify.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}` as const;

test('a generated key pair: the encrypted private key decrypts with its password and signs what the public key verifies', async () => {
  const pair = await generateKeyPair('s3cret');
  assert.match(pair.privateKey, new RegExp(`^-----BEGIN ${PRIVATE_KEY_PEM_TYPE}-----\\n`));
  assert.ok(pair.privateKey.split('\n').every((line) => line.length <= 64), 'PEM lines of 64 columns, as Go writes them');
  const body = JSON.parse(Buffer.from(pair.privateKey.split('\n').slice(1, -2).join(''), 'base64').toString());
  assert.deepEqual(Object.keys(body), ['kdf', 'cipher', 'ciphertext'], 'go-securesystemslib field order');
  assert.deepEqual(body.kdf.params, { N: 32768, r: 8, p: 1 });
  assert.equal(body.kdf.name, 'scrypt');
  assert.equal(body.cipher.name, 'nacl/secretbox');
  assert.equal(Buffer.from(body.kdf.salt, 'base64').length, 32);
  assert.equal(Buffer.from(body.cipher.nonce, 'base64').length, 24);

  const key = await decryptPrivateKey(pair.privateKey, 's3cret', 'cosign.key');
  const pub = parsePublicKey(pair.publicKey, 'cosign.pub');
  const signature = crypto.sign('sha256', Buffer.from('payload'), key);
  assert.ok(crypto.verify('sha256', Buffer.from('payload'), pub, signature));
  assert.ok(isDerEcdsaSignature(signature));
});

test('a wrong password, a damaged file, another PEM type, another curve: each a SigningKeyError naming the file', async () => {
  const pair = await generateKeyPair('right');
  await assert.rejects(decryptPrivateKey(pair.privateKey, 'wrong', 'k.key'), (e: unknown) => e instanceof SigningKeyError && /k\.key: wrong password/.test(e.message));
  await assert.rejects(decryptPrivateKey('hello', 'right', 'k.key'), /k\.key: not a PEM file/);
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  await assert.rejects(decryptPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'x', 'k.key'), /a PEM "PRIVATE KEY" block, expected "ENCRYPTED SIGSTORE PRIVATE KEY"/);
  assert.throws(() => parsePublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'r.pub'), /r\.pub: a rsa key; wasmbpf signs and verifies with ECDSA P-256/);
  const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  await assert.rejects(decryptPrivateKey(await encryptPrivateKey(p384.privateKey, 'x'), 'x', 'k.key'), /an EC key on secp384r1/);
  // cosign before 2.0 wrote "ENCRYPTED COSIGN PRIVATE KEY" around the same JSON.
  const legacy = pair.privateKey.replaceAll(PRIVATE_KEY_PEM_TYPE, 'ENCRYPTED COSIGN PRIVATE KEY');
  assert.equal((await decryptPrivateKey(legacy, 'right', 'old.key')).asymmetricKeyType, 'ec');
  const absurd = pair.privateKey.split('\n');
  const json = JSON.parse(Buffer.from(absurd.slice(1, -2).join(''), 'base64').toString());
  json.kdf.params.N = 2 ** 30;
  const bad = `-----BEGIN ${PRIVATE_KEY_PEM_TYPE}-----\n${Buffer.from(JSON.stringify(json)).toString('base64')}\n-----END ${PRIVATE_KEY_PEM_TYPE}-----\n`;
  await assert.rejects(decryptPrivateKey(bad, 'right', 'k.key'), /bad scrypt parameters/, 'no 1 TiB scrypt from a key file');
});

test('the simple-signing payload: cosign\'s bytes, read back; a wrong type or digest is refused', () => {
  const bytes = simpleSigningPayload({ dockerReference: 'example.com/x:v1', manifestDigest: DIGEST });
  assert.equal(Buffer.from(bytes).toString(),
    `{"critical":{"identity":{"docker-reference":"example.com/x:v1"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`);
  assert.deepEqual(parseSimpleSigningPayload(bytes), { dockerReference: 'example.com/x:v1', manifestDigest: DIGEST });
  const withOptional = Buffer.from(Buffer.from(bytes).toString().replace('"optional":null', '"optional":{"creator":"x"}'));
  assert.equal(parseSimpleSigningPayload(withOptional).manifestDigest, DIGEST, 'optional claims are ignored');
  assert.throws(() => parseSimpleSigningPayload(Buffer.from(Buffer.from(bytes).toString().replace('cosign container', 'atomic container'))), OciFormatError);
  assert.throws(() => parseSimpleSigningPayload(Buffer.from('{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"sha256:1"},"type":"cosign container image signature"}}')), /not a digest/);
  assert.throws(() => parseSimpleSigningPayload(Buffer.from('{"critical":')), /not JSON/);
  assert.equal(signatureTag(DIGEST), `sha256-${'ab'.repeat(32)}.sig`);
});

test('the DER shape check: a signature cut short or padded is malformed; a well-formed one passes', () => {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signature = crypto.sign('sha256', Buffer.from('x'), privateKey);
  assert.ok(isDerEcdsaSignature(signature));
  assert.equal(isDerEcdsaSignature(signature.subarray(0, signature.length - 1)), false);
  assert.equal(isDerEcdsaSignature(Buffer.concat([signature, Buffer.from([0])])), false);
  assert.equal(isDerEcdsaSignature(Buffer.from('not a signature')), false);
});
