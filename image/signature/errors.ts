// Errors of signing and verifying images. A refused image names the image, the digest that was
// checked and why, and the code says which of the reasons it was, so scripts and the shim's
// caller can tell "nobody signed this" from "somebody signed something else".
import { WasmbpfError, type SignatureRefusalCode } from '../../errors/index.ts';

/** A key file that cannot be read, decrypted or used (wrong password, not a cosign key, not P-256). */
export class SigningKeyError extends WasmbpfError {
  readonly code = 'WASMBPF_SIGNING_KEY';
}

export type SignatureRefusal =
  /** No `sha256-<hex>.sig` tag, or one without any simple-signing layer. */
  | 'no-signature'
  /** Signatures exist, none verifies with any of the given keys. */
  | 'wrong-key'
  /** A signature verifies, but its payload names another manifest digest. */
  | 'other-digest'
  /** A signature verifies, but its payload names another repository. */
  | 'other-repository'
  /** The signature or its payload cannot be decoded (truncated, not base64, not DER, not JSON). */
  | 'malformed'
  /** The signatures could not be fetched (registry unreachable, auth, server error): fail closed. */
  | 'unavailable';

const CODES: Record<SignatureRefusal, SignatureRefusalCode> = {
  'no-signature': 'WASMBPF_SIGNATURE_MISSING',
  'wrong-key': 'WASMBPF_SIGNATURE_WRONG_KEY',
  'other-digest': 'WASMBPF_SIGNATURE_OTHER_DIGEST',
  'other-repository': 'WASMBPF_SIGNATURE_OTHER_REPOSITORY',
  malformed: 'WASMBPF_SIGNATURE_MALFORMED',
  unavailable: 'WASMBPF_SIGNATURE_UNAVAILABLE',
};

/** An image refused by signature verification. */
export class ImageSignatureError extends WasmbpfError {
  readonly code: SignatureRefusalCode;
  constructor(
    /** The image as named by the user or containerd. */
    readonly image: string,
    /** The manifest (or index) digest that was checked. */
    readonly digest: string,
    readonly reason: SignatureRefusal,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`image ${image} (${digest}) is refused: ${why}`, options);
    this.code = CODES[reason];
  }
}
