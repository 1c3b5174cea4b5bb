// The local image store: an OCI image layout directory (<home>/images: oci-layout, index.json,
// blobs/sha256/<hex>) plus tmp/ for in-flight writes. Blobs are stored by digest and written
// atomically (atomic-file.ts), every read is verified against its descriptor, and names live in
// index.json as manifests annotated with their full reference. index.json is rewritten under a
// lock file so concurrent pulls and builds do not lose each other's tags.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  DigestVerifier,
  MEDIA_TYPE_OCI_INDEX,
  parseDigest,
  parseIndex,
  sha256,
  verifyBlob,
  type Descriptor,
  type Index,
} from '../oci-spec/index.ts';
import { writeAtomically, writeFileAtomically } from './atomic-file.ts';
import type { ContentSource } from './content-source.ts';
import { BlobNotFoundError, StoreLockError } from './errors.ts';
import { imageStoreDir } from './home.ts';

export interface StoredImage {
  /** Full normalized reference, e.g. "127.0.0.1:5000/execsnoop:v1". */
  name: string;
  descriptor: Descriptor;
}

const LOCK_WAIT_MS = 10_000;

export class ImageStore implements ContentSource {
  readonly root: string;
  readonly label = 'the local store';

  constructor(root: string) {
    this.root = root;
  }

  /** The store under $WASMBPF_HOME (or `home`). */
  static open(home?: string): ImageStore {
    return new ImageStore(imageStoreDir(home));
  }

  get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, hex);
  }

  /** True when the blob is present with the right size (a cheap check; reads verify the digest). */
  async has(descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<boolean> {
    try {
      return (await stat(this.blobPath(descriptor.digest))).size === descriptor.size;
    } catch {
      return false;
    }
  }

  /**
   * True when the blob is present and its bytes hash to its digest. A blob that is present but
   * damaged (a disk error, someone editing the store) is removed, so the caller fetches it again.
   */
  async hasVerified(descriptor: Descriptor): Promise<boolean> {
    if (!(await this.has(descriptor))) return false;
    const verifier = new DigestVerifier(descriptor);
    try {
      for await (const chunk of createReadStream(this.blobPath(descriptor.digest))) verifier.update(chunk as Buffer);
      verifier.finish();
      return true;
    } catch {
      await rm(this.blobPath(descriptor.digest), { force: true });
      return false;
    }
  }

  async read(descriptor: Descriptor, what = 'blob'): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.blobPath(descriptor.digest));
    } catch (cause) {
      throw new BlobNotFoundError(`${what} ${descriptor.digest} is not in the local store (${this.root})`, { cause });
    }
    verifyBlob(descriptor, bytes, `${what} in the local store`);
    return bytes;
  }

  /** Stores bytes under their digest; returns the descriptor. */
  async write(bytes: Uint8Array, mediaType: string, annotations?: Record<string, string>): Promise<Descriptor> {
    const descriptor: Descriptor = { mediaType, digest: sha256(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) };
    if (!(await this.has(descriptor))) {
      await writeAtomically(this.blobPath(descriptor.digest), this.tmpDir, [bytes]);
    }
    return descriptor;
  }

  /** Stores streamed content, verifying size and digest on the way; nothing is left behind on a mismatch. */
  async writeStream(descriptor: Descriptor, chunks: AsyncIterable<Uint8Array>, what = 'blob', onBytes?: (n: number) => void): Promise<void> {
    const verifier = new DigestVerifier(descriptor, what);
    await writeAtomically(this.blobPath(descriptor.digest), this.tmpDir, chunks, {
      onChunk: (chunk) => {
        verifier.update(chunk);
        onBytes?.(verifier.size);
      },
      check: () => verifier.finish(),
    });
  }

  async index(): Promise<Index> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.root, 'index.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
      throw err;
    }
    return parseIndex(bytes, undefined, `${this.root}/index.json`);
  }

  async list(): Promise<StoredImage[]> {
    const index = await this.index();
    return index.manifests
      .map((d) => ({ name: d.annotations?.[ANNOTATION_REF_NAME] ?? '', descriptor: d }))
      .filter((i) => i.name !== '')
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async resolve(name: string): Promise<Descriptor | undefined> {
    return (await this.list()).find((i) => i.name === name)?.descriptor;
  }

  /** Points `name` (a full normalized reference) at `descriptor`, replacing any previous target. */
  async tag(name: string, descriptor: Descriptor): Promise<void> {
    await this.#withLock(async () => {
      const index = await this.index();
      const { annotations: _, ...plain } = descriptor;
      const entry: Descriptor = { ...plain, annotations: { [ANNOTATION_REF_NAME]: name, [ANNOTATION_CONTAINERD_IMAGE_NAME]: name } };
      const manifests = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== name);
      manifests.push(entry);
      manifests.sort((a, b) => (a.annotations?.[ANNOTATION_REF_NAME] ?? '').localeCompare(b.annotations?.[ANNOTATION_REF_NAME] ?? ''));
      await mkdir(this.root, { recursive: true });
      await writeFileAtomically(join(this.root, 'oci-layout'), this.tmpDir, '{"imageLayoutVersion":"1.0.0"}');
      await writeFileAtomically(join(this.root, 'index.json'), this.tmpDir, `${JSON.stringify({ ...index, manifests }, null, 2)}\n`);
    });
  }

  /**
   * Removes temp files a killed process left behind (a pull interrupted by SIGKILL cannot clean
   * up after itself). Only files older than `olderThanMs` go, so a concurrent write is never hit.
   */
  async sweepAbandoned(olderThanMs = 60 * 60 * 1000): Promise<number> {
    let removed = 0;
    for (const file of await this.pendingWrites()) {
      const path = join(this.tmpDir, file);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Files in tmp/ (in-flight or abandoned writes); tests use it to check nothing was left half-written. */
  async pendingWrites(): Promise<string[]> {
    try {
      return (await readdir(this.tmpDir)).filter((f) => f !== 'index.json.lock');
    } catch {
      return [];
    }
  }

  /** Every blob file, for checks: [digest, path]. */
  async blobs(): Promise<string[]> {
    try {
      return (await readdir(join(this.root, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`);
    } catch {
      return [];
    }
  }

  async #withLock<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.tmpDir, { recursive: true });
    const lock = join(this.tmpDir, 'index.json.lock');
    const token = `${process.pid} ${randomBytes(4).toString('hex')}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(token);
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A lock whose owner died (crash, SIGKILL) is stale: take it over.
        const owner = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
        if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new StoreLockError(`the image store ${this.root} is locked by process ${owner || '?'} (${lock})`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
