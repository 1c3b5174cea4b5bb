// The signatures stored next to an image in its registry, read and written through the project's
// registry client: the `sha256-<hex>.sig` tag (oci-spec/cosign.ts) holds an OCI manifest whose
// layers are signed payloads. Writing appends to what is there, as cosign and containers/image
// do, so one image can carry signatures by several keys (or tools) at once.
import crypto, { type KeyObject } from 'node:crypto';
import {
  ANNOTATION_COSIGN_SIGNATURE,
  MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_MANIFEST,
  parseManifest,
  sha256,
  signatureTag,
  verifyBlob,
  type Descriptor,
  type Manifest,
} from '../../oci-spec/index.ts';
import type { RegistryClient } from '../registry/client.ts';
import { RegistryNotFoundError } from '../registry/errors.ts';

/** A payload is a few hundred bytes; anything much larger is not a signature worth reading. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** One signed payload as stored: its layer and, if the annotation is there, the base64 signature. */
export interface StoredSignature {
  layer: Descriptor;
  /** The annotation's value, unchecked (verify.ts decodes it). */
  signature: string | undefined;
}

/** The signature manifest of `digest` and its own digest, or undefined when the repository has none. */
export async function readSignatureManifest(client: RegistryClient, digest: string): Promise<{ manifest: Manifest; digest: string } | undefined> {
  const tag = signatureTag(digest);
  let fetched;
  try {
    fetched = await client.getManifest(tag);
  } catch (error) {
    if (error instanceof RegistryNotFoundError) return undefined;
    throw error;
  }
  const own = sha256(fetched.bytes);
  if (fetched.digest) verifyBlob({ digest: fetched.digest as Descriptor['digest'], size: fetched.bytes.length }, fetched.bytes, `signature manifest ${tag}`);
  return { manifest: parseManifest(fetched.bytes, fetched.mediaType, `signature manifest ${tag}`), digest: own };
}

/** The simple-signing layers of a signature manifest (other layer types are not signatures). */
export function storedSignatures(manifest: Manifest | undefined): StoredSignature[] {
  return (manifest?.layers ?? [])
    .filter((layer) => layer.mediaType === MEDIA_TYPE_COSIGN_SIMPLE_SIGNING)
    .map((layer) => ({ layer, signature: layer.annotations?.[ANNOTATION_COSIGN_SIGNATURE] }));
}

/** A payload's bytes, checked against its layer's size and digest. */
export async function readPayload(client: RegistryClient, layer: Descriptor): Promise<Uint8Array> {
  if (layer.size > MAX_PAYLOAD_BYTES) throw new RangeError(`the payload is ${layer.size} bytes, more than a signature payload can be (${MAX_PAYLOAD_BYTES})`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of await client.getBlob(layer, `signature payload ${layer.digest}`)) {
    total += chunk.length;
    if (total > layer.size) break; // verifyBlob reports it as a size mismatch
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  verifyBlob(layer, bytes, `signature payload ${layer.digest}`);
  return bytes;
}

export interface AttachResult {
  tag: string;
  /** False when the same payload with the same signature was already there. */
  added: boolean;
  /** The signature manifest's digest after the write. */
  manifestDigest: string;
}

/**
 * Adds one signed payload to the signature manifest of `digest`, unless the same payload is
 * there already signed by `signer` (ECDSA signatures are randomized: the same key signs the same
 * bytes differently each time, so "already signed" is a verification, not a string compare).
 */
export async function attachSignature(client: RegistryClient, digest: string, payload: Uint8Array, signature: string, signer: KeyObject): Promise<AttachResult> {
  const tag = signatureTag(digest);
  const stored = await readSignatureManifest(client, digest);
  const existing = stored?.manifest;
  const layer: Descriptor = {
    mediaType: MEDIA_TYPE_COSIGN_SIMPLE_SIGNING,
    digest: sha256(payload),
    size: payload.length,
    annotations: { [ANNOTATION_COSIGN_SIGNATURE]: signature },
  };
  const layers = existing?.layers ?? [];
  if (layers.some((l) => l.digest === layer.digest && signedBy(payload, l.annotations?.[ANNOTATION_COSIGN_SIGNATURE], signer))) {
    return { tag, added: false, manifestDigest: stored!.digest };
  }
  const allLayers = [...layers, layer];
  // An OCI image config listing the payloads as the rootfs, as containers/image writes it, so
  // tools that read the config to append their own signature find what they expect.
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: allLayers.map((l) => l.digest) } }));
  const configDescriptor: Descriptor = { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: sha256(config), size: config.length };
  await uploadIfMissing(client, layer, payload);
  await uploadIfMissing(client, configDescriptor, config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config: configDescriptor, layers: allLayers }));
  await client.putManifest(tag, manifest, MEDIA_TYPE_OCI_MANIFEST);
  return { tag, added: true, manifestDigest: sha256(manifest) };
}

function signedBy(payload: Uint8Array, signature: string | undefined, signer: KeyObject): boolean {
  return signature !== undefined && crypto.verify('sha256', payload, signer, Buffer.from(signature, 'base64'));
}

async function uploadIfMissing(client: RegistryClient, descriptor: Descriptor, bytes: Uint8Array): Promise<void> {
  if (await client.hasBlob(descriptor, 'pull,push')) return;
  await client.pushBlob(descriptor, async (offset, length) => bytes.subarray(offset, offset + length), { chunkSize: Math.max(bytes.length, 1) });
}
