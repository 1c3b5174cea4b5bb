// The way cosign (and containers/image with `use-sigstore-attachments`) stores a signature next to
// an image, as pure data: a manifest tagged `sha256-<hex>.sig` in the image's repository whose
// layers are "simple signing" payloads, each with its base64 signature in an annotation. Keeping
// to this layout to the byte is what lets cosign, skopeo and wasmbpf read each other's signatures.
import { isDigest, parseDigest, type Digest } from './digest.ts';
import { OciFormatError } from './errors.ts';

/** The layer type of a signed payload (cosign's `types.SimpleSigningMediaType`). */
export const MEDIA_TYPE_COSIGN_SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** On a payload layer: the base64 signature of the layer's bytes. */
export const ANNOTATION_COSIGN_SIGNATURE = 'dev.cosignproject.cosign/signature';
/** The payload's critical.type; containers/image refuses any other value. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/** The tag holding the signatures of the manifest `digest`: sha256:ab.. -> "sha256-ab...sig". */
export function signatureTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest, 'signed digest');
  return `${algorithm}-${hex}.sig`;
}

export interface SimpleSigningPayload {
  /** What the signer called the image (registry/repository[:tag]); cosign writes no tag. */
  dockerReference: string;
  /** The manifest (or index) digest the signature is for. */
  manifestDigest: Digest;
}

/**
 * The payload bytes, key order as cosign and containers/image write them. The signature covers
 * these exact bytes, so they are produced once and never re-serialized.
 */
export function simpleSigningPayload(payload: SimpleSigningPayload): Uint8Array {
  const json = {
    critical: {
      identity: { 'docker-reference': payload.dockerReference },
      image: { 'docker-manifest-digest': payload.manifestDigest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional: null,
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Reads a payload; anything but the critical section's three fields is ignored, as cosign does. */
export function parseSimpleSigningPayload(bytes: Uint8Array, what = 'signature payload'): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new OciFormatError(`${what}: not JSON: ${(cause as Error).message}`, { cause });
  }
  const critical = field(doc, 'critical', what);
  const type = field(critical, 'type', `${what}: critical`);
  if (type !== SIMPLE_SIGNING_TYPE) throw new OciFormatError(`${what}: critical.type is ${JSON.stringify(type)}, not ${JSON.stringify(SIMPLE_SIGNING_TYPE)}`);
  const reference = field(field(critical, 'identity', `${what}: critical`), 'docker-reference', `${what}: critical.identity`);
  const digest = field(field(critical, 'image', `${what}: critical`), 'docker-manifest-digest', `${what}: critical.image`);
  if (typeof reference !== 'string') throw new OciFormatError(`${what}: critical.identity.docker-reference must be a string`);
  if (!isDigest(digest)) throw new OciFormatError(`${what}: critical.image.docker-manifest-digest is not a digest: ${JSON.stringify(digest)}`);
  return { dockerReference: reference, manifestDigest: digest };
}

function field(value: unknown, key: string, what: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
    throw new OciFormatError(`${what}: missing ${key}`);
  }
  return (value as Record<string, unknown>)[key];
}
