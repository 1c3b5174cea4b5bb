// Content digests: computing, parsing and verifying them. Every blob wasmbpf reads (from a
// registry, a tarball, the local store or containerd's content store) goes through
// verifyBlob or a DigestVerifier before it is trusted. sha256 is what everyone writes; sha512
// is accepted on read because the OCI spec registers it.
import { createHash, type Hash } from 'node:crypto';
import type { Descriptor } from './types.ts';
import { DigestMismatchError, OciFormatError, SizeMismatchError } from './errors.ts';

/** "sha256:<64 hex>" or "sha512:<128 hex>". */
export type Digest = `${'sha256' | 'sha512'}:${string}`;

const DIGEST_PATTERN: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  const colon = value.indexOf(':');
  const pattern = DIGEST_PATTERN[value.slice(0, colon)];
  return colon > 0 && pattern !== undefined && pattern.test(value.slice(colon + 1));
}

/** Splits a digest into algorithm and hex; throws OciFormatError naming `what` for anything else. */
export function parseDigest(value: string, what = 'digest'): { algorithm: 'sha256' | 'sha512'; hex: string } {
  if (!isDigest(value)) {
    throw new OciFormatError(`${what}: expected "sha256:" followed by 64 lowercase hex digits, got ${JSON.stringify(value)}`);
  }
  const [algorithm, hex] = value.split(':') as ['sha256' | 'sha512', string];
  return { algorithm, hex };
}

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws unless `bytes` are exactly what `descriptor` describes (size first: it is the cheaper and clearer message). */
export function verifyBlob(descriptor: Pick<Descriptor, 'digest' | 'size'>, bytes: Uint8Array, what = 'blob'): void {
  if (bytes.length !== descriptor.size) {
    throw new SizeMismatchError(
      `${what} ${descriptor.digest}: expected ${descriptor.size} bytes, got ${bytes.length}${bytes.length < descriptor.size ? ' (truncated)' : ''}`,
      descriptor.size,
      bytes.length,
    );
  }
  const { algorithm } = parseDigest(descriptor.digest, `${what} digest`);
  const actual = digestOf(bytes, algorithm);
  if (actual !== descriptor.digest) {
    throw new DigestMismatchError(`${what}: expected digest ${descriptor.digest}, got ${actual}`, descriptor.digest, actual);
  }
}

/** Incremental verification for streamed content: feed chunks, then finish() throws on a mismatch. */
export class DigestVerifier {
  #hash: Hash;
  #size = 0;
  readonly expected: Pick<Descriptor, 'digest' | 'size'>;
  readonly what: string;

  constructor(expected: Pick<Descriptor, 'digest' | 'size'>, what = 'blob') {
    const { algorithm } = parseDigest(expected.digest, `${what} digest`);
    this.expected = expected;
    this.what = what;
    this.#hash = createHash(algorithm);
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  update(chunk: Uint8Array): void {
    this.#size += chunk.length;
    // Fail as soon as the stream runs past the promised size instead of hashing gigabytes first.
    if (this.#size > this.expected.size) {
      throw new SizeMismatchError(
        `${this.what} ${this.expected.digest}: expected ${this.expected.size} bytes, got more`,
        this.expected.size,
        this.#size,
      );
    }
    this.#hash.update(chunk);
  }

  finish(): void {
    if (this.#size !== this.expected.size) {
      throw new SizeMismatchError(
        `${this.what} ${this.expected.digest}: expected ${this.expected.size} bytes, got ${this.#size}${this.#size < this.expected.size ? ' (truncated)' : ''}`,
        this.expected.size,
        this.#size,
      );
    }
    const algorithm = this.expected.digest.slice(0, this.expected.digest.indexOf(':'));
    const actual = `${algorithm}:${this.#hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      throw new DigestMismatchError(`${this.what}: expected digest ${this.expected.digest}, got ${actual}`, this.expected.digest, actual);
    }
  }
}
