// Signing keys in the format cosign writes and cosign, skopeo and containers/image read:
//  - the private key: PEM "ENCRYPTED SIGSTORE PRIVATE KEY" (older cosign: "ENCRYPTED COSIGN
//    PRIVATE KEY", read too) around the JSON of go-securesystemslib's `encrypted` package:
//    the PKCS#8 DER of an ECDSA P-256 key, sealed with nacl secretbox under a key that scrypt
//    (N=32768, r=8, p=1, 32-byte salt) derives from the password;
//  - the public key: PEM "PUBLIC KEY" (SubjectPublicKeyInfo DER).
// Node's crypto has scrypt and ECDSA; secretbox (XSalsa20-Poly1305) comes from tweetnacl.
import crypto, { type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import nacl from 'tweetnacl';
import { SigningKeyError } from './errors.ts';

export const PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const READABLE_PRIVATE_KEY_PEM_TYPES = [PRIVATE_KEY_PEM_TYPE, 'ENCRYPTED COSIGN PRIVATE KEY'];
const SCRYPT_PARAMS = { N: 32768, r: 8, p: 1 };
const SALT_BYTES = 32;
// scrypt needs 128 * N * r bytes (32 MiB here); Node's default cap is exactly that, so raise it.
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
// Refuse absurd work factors in a key file before scrypt is asked to allocate them.
const SCRYPT_MAX_N = 1 << 20;

const scrypt = promisify(crypto.scrypt) as (password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

export interface KeyPairPem {
  privateKey: string;
  publicKey: string;
}

/** A fresh ECDSA P-256 key pair, the private key encrypted with `password`. */
export async function generateKeyPair(password: string): Promise<KeyPairPem> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey: await encryptPrivateKey(privateKey, password), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The encrypted PEM of `key`, byte for byte the structure cosign's `generate-key-pair` writes. */
export async function encryptPrivateKey(key: KeyObject, password: string): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const nonce = crypto.randomBytes(nacl.secretbox.nonceLength);
  const secret = await deriveKey(password, salt, SCRYPT_PARAMS);
  const plaintext = key.export({ type: 'pkcs8', format: 'der' });
  const ciphertext = nacl.secretbox(plaintext, nonce, secret);
  // Field order is Go's struct order, so the JSON matches what cosign writes.
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params: SCRYPT_PARAMS, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  });
  return pem(PRIVATE_KEY_PEM_TYPE, Buffer.from(json));
}

/** Decrypts a cosign-format private key; `source` names the file in errors. */
export async function decryptPrivateKey(text: string, password: string, source: string): Promise<KeyObject> {
  const block = unpem(text, source);
  if (!READABLE_PRIVATE_KEY_PEM_TYPES.includes(block.type)) {
    throw new SigningKeyError(`${source}: a PEM "${block.type}" block, expected "${PRIVATE_KEY_PEM_TYPE}" (a key from \`wasmbpf key generate\` or \`cosign generate-key-pair\`)`);
  }
  const sealed = parseSealed(block.body, source);
  const secret = await deriveKey(password, sealed.salt, sealed.params);
  const plaintext = nacl.secretbox.open(sealed.ciphertext, sealed.nonce, secret);
  if (!plaintext) throw new SigningKeyError(`${source}: wrong password (or a damaged key file): the key does not decrypt`);
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new SigningKeyError(`${source}: the decrypted key is not PKCS#8: ${(cause as Error).message}`, { cause });
  }
  requireP256(key, source);
  return key;
}

/** Reads a PEM public key (cosign.pub); only ECDSA P-256, the curve cosign's keys use. */
export function parsePublicKey(text: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = crypto.createPublicKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw new SigningKeyError(`${source}: not a PEM public key: ${(cause as Error).message}`, { cause });
  }
  requireP256(key, source);
  return key;
}

function requireP256(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const kind = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${key.asymmetricKeyType} key`;
    throw new SigningKeyError(`${source}: ${kind}; wasmbpf signs and verifies with ECDSA P-256 keys (cosign's)`);
  }
}

interface Sealed {
  params: typeof SCRYPT_PARAMS;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

function parseSealed(body: Buffer, source: string): Sealed {
  const bad = (why: string): never => {
    throw new SigningKeyError(`${source}: not an encrypted cosign key: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    bad('the PEM body is not JSON');
  }
  const d = doc as { kdf?: { name?: unknown; params?: { N?: unknown; r?: unknown; p?: unknown }; salt?: unknown }; cipher?: { name?: unknown; nonce?: unknown }; ciphertext?: unknown };
  if (d.kdf?.name !== 'scrypt') bad(`kdf ${JSON.stringify(d.kdf?.name)}, expected "scrypt"`);
  if (d.cipher?.name !== 'nacl/secretbox') bad(`cipher ${JSON.stringify(d.cipher?.name)}, expected "nacl/secretbox"`);
  const { N, r, p } = d.kdf?.params ?? {};
  if (!isPositiveInt(N) || !isPositiveInt(r) || !isPositiveInt(p) || N > SCRYPT_MAX_N || (N & (N - 1)) !== 0) bad('bad scrypt parameters');
  const salt = base64(d.kdf?.salt, 'kdf.salt', bad);
  const nonce = base64(d.cipher?.nonce, 'cipher.nonce', bad);
  if (nonce.length !== nacl.secretbox.nonceLength) bad(`cipher.nonce is ${nonce.length} bytes, expected ${nacl.secretbox.nonceLength}`);
  const ciphertext = base64(d.ciphertext, 'ciphertext', bad);
  return { params: { N: N as number, r: r as number, p: p as number }, salt, nonce, ciphertext };
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function base64(value: unknown, what: string, bad: (why: string) => never): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) bad(`${what} is not base64`);
  return Buffer.from(value as string, 'base64');
}

async function deriveKey(password: string, salt: Buffer, params: typeof SCRYPT_PARAMS): Promise<Uint8Array> {
  const needed = 128 * params.N * params.r + 1024 * 1024;
  return scrypt(password, salt, nacl.secretbox.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: Math.max(SCRYPT_MAXMEM, needed) });
}

/** PEM as Go's encoding/pem writes it: 64-column base64. */
function pem(type: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

function unpem(text: string, source: string): { type: string; body: Buffer } {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!match) throw new SigningKeyError(`${source}: not a PEM file`);
  return { type: match[1]!, body: Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64') };
}
