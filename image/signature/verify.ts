// Verifying that an image digest carries a signature by one of the given keys, the way cosign
// and containers/image check one: the signature is checked over the payload's bytes first, and
// only a payload that verifies is read; it must name the digest being checked and the image's
// repository. The first signature that passes accepts the image. When none does, the refusal
// says the most telling reason found (a valid signature for another digest says more than a
// signature by a key we do not know), and names the image and the digest.
import crypto from 'node:crypto';
import { parseSimpleSigningPayload, signatureTag } from '../../oci-spec/index.ts';
import { parseReference } from '../reference.ts';
import type { RegistryClient } from '../registry/client.ts';
import { RegistryError } from '../registry/errors.ts';
import { readPayload, readSignatureManifest, storedSignatures, type StoredSignature } from './attachment.ts';
import { ImageSignatureError, type SignatureRefusal } from './errors.ts';
import type { VerificationKey } from './key-files.ts';

export interface VerifyRequest {
  /** A client for the image's repository: the signatures live beside the image. */
  client: RegistryClient;
  /** The image as the user (or containerd) named it, for messages. */
  image: string;
  /** The manifest or index digest the name resolved to. */
  digest: string;
  keys: readonly VerificationKey[];
}

export interface VerifiedSignature {
  /** The file of the key that verified it. */
  keyPath: string;
  /** What the signer called the image. */
  dockerReference: string;
}

interface Finding {
  reason: Exclude<SignatureRefusal, 'no-signature' | 'unavailable'>;
  why: string;
}

// Which finding a refusal reports when several signatures fail differently.
const PRIORITY: Finding['reason'][] = ['other-digest', 'other-repository', 'wrong-key', 'malformed'];

export async function verifyImageSignature(request: VerifyRequest): Promise<VerifiedSignature> {
  const { client, image, digest } = request;
  const refuse = (reason: SignatureRefusal, why: string, cause?: unknown): never => {
    throw new ImageSignatureError(image, digest, reason, why, cause === undefined ? undefined : { cause });
  };
  const where = `${client.registry}/${client.repository}`;
  let signatures: StoredSignature[];
  try {
    signatures = storedSignatures((await readSignatureManifest(client, digest))?.manifest);
  } catch (error) {
    if (error instanceof RegistryError) refuse('unavailable', `its signatures could not be fetched: ${(error as Error).message}`, error);
    refuse('malformed', `its signature manifest is malformed: ${(error as Error).message}`, error);
  }
  if (signatures!.length === 0) refuse('no-signature', `no signature: ${where} has no ${signatureTag(digest)} with a signed payload`);
  const findings: Finding[] = [];
  for (const stored of signatures!) {
    const result = await check(request, stored);
    if ('keyPath' in result) return result;
    findings.push(result);
  }
  findings.sort((a, b) => PRIORITY.indexOf(a.reason) - PRIORITY.indexOf(b.reason));
  const best = findings[0]!;
  const count = findings.length === 1 ? 'its one signature' : `none of its ${findings.length} signatures verifies; the nearest`;
  return refuse(best.reason, `${count}: ${best.why}`);
}

async function check(request: VerifyRequest, stored: StoredSignature): Promise<VerifiedSignature | Finding> {
  const { client, digest, keys } = request;
  const layer = `payload ${stored.layer.digest}`;
  if (stored.signature === undefined) return { reason: 'malformed', why: `${layer} has no signature annotation` };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(stored.signature)) return { reason: 'malformed', why: `the signature of ${layer} is not base64` };
  const signature = Buffer.from(stored.signature, 'base64');
  if (!isDerEcdsaSignature(signature)) return { reason: 'malformed', why: `the signature of ${layer} is not a DER ECDSA signature (${signature.length} bytes; truncated?)` };
  let payload: Uint8Array;
  try {
    payload = await readPayload(client, stored.layer);
  } catch (error) {
    if (error instanceof RegistryError) throw new ImageSignatureError(request.image, digest, 'unavailable', `its signature ${layer} could not be fetched: ${(error as Error).message}`, { cause: error });
    return { reason: 'malformed', why: `${layer}: ${(error as Error).message}` };
  }
  const key = keys.find((k) => crypto.verify('sha256', payload, k.key, signature));
  const keyNames = keys.map((k) => k.path).join(', ');
  if (!key) return { reason: 'wrong-key', why: `the signature of ${layer} was not made with ${keys.length === 1 ? 'the key' : 'any of the keys'} ${keyNames}` };
  let claims;
  try {
    claims = parseSimpleSigningPayload(payload, layer);
  } catch (error) {
    return { reason: 'malformed', why: `${(error as Error).message} (signed with ${key.path})` };
  }
  if (claims.manifestDigest !== digest) {
    return { reason: 'other-digest', why: `the signature by ${key.path} is for another image, ${claims.manifestDigest} (${claims.dockerReference}), not ${digest}` };
  }
  if (!sameRepository(claims.dockerReference, client.registry, client.repository)) {
    return { reason: 'other-repository', why: `the signature by ${key.path} names the repository ${claims.dockerReference}, not ${client.registry}/${client.repository}` };
  }
  return { keyPath: key.path, dockerReference: claims.dockerReference };
}

/** cosign writes the repository, containers/image repository:tag; either names the same repository. */
function sameRepository(dockerReference: string, registry: string, repository: string): boolean {
  try {
    const signed = parseReference(dockerReference);
    return signed.registry === registry && signed.repository === repository;
  } catch {
    return false;
  }
}


/** SEQUENCE { INTEGER r, INTEGER s } with every length consistent: what ECDSA signatures are. */
export function isDerEcdsaSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== 0x30 || bytes[1]! >= 0x80 || bytes[1]! + 2 !== bytes.length) return false;
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (bytes[at] !== 0x02) return false;
    const length = bytes[at + 1]!;
    if (length === 0 || length > 33 || at + 2 + length > bytes.length) return false;
    at += 2 + length;
  }
  return at === bytes.length;
}
