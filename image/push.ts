// `wasmbpf push`: copies an image from the local store to a registry. Each blob is checked
// with HEAD first and skipped when the repository has it; the rest are uploaded monolithically
// or, above chunkSize, in PATCHed chunks read from the store file by file offset. The manifest
// goes last, under the reference's tag (or digest), and the digest the registry reports is
// checked against ours.
import { open } from 'node:fs/promises';
import { DigestMismatchError, isManifestMediaType, sha256, type Descriptor } from '../oci-spec/index.ts';
import { ImageNotFoundError } from './errors.ts';
import type { TransferOptions } from './pull.ts';
import { silentProgress, shortDigest } from './progress.ts';
import { familiarName, formatReference, parseReference } from './reference.ts';
import type { RegistryClient } from './registry/client.ts';
import { connectRegistry, reportingAbort } from './registry/connect.ts';
import { ImageStore } from './store.ts';
import { imageBlobs } from './walk.ts';

export interface PushOptions extends TransferOptions {
  /** Push this stored image (full or short name) under `reference` instead of the image named `reference`. */
  source?: string;
  /** Blobs larger than this are uploaded in chunks of this size. Default 8 MiB. */
  chunkSize?: number;
}

export interface PushResult {
  name: string;
  digest: string;
  pushed: string[];
  skipped: string[];
}

const DEFAULT_CHUNK = 8 * 1024 * 1024;

export async function pushImage(reference: string, options: PushOptions = {}): Promise<PushResult> {
  return reportingAbort(options.signal, () => push(reference, options));
}

async function push(reference: string, options: PushOptions): Promise<PushResult> {
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const sourceName = options.source ? formatReference(parseReference(options.source)) : name;
  const store = ImageStore.open(options.home);
  const root = await store.resolve(sourceName);
  if (!root) throw new ImageNotFoundError(`${familiarName(sourceName)} is not in the local store (${store.root}); build or pull it first`);
  const progress = options.progress ?? silentProgress;
  const client = await connectRegistry(ref, options);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;

  const blobs = await imageBlobs(store, root);
  const pushed: string[] = [];
  const skipped: string[] = [];
  for (const blob of blobs) {
    if (blob.digest === root.digest) continue;
    if (isManifestMediaType(blob.mediaType)) {
      // A manifest inside an index is pushed by digest, like any document.
      await client.putManifest(blob.digest, await store.read(blob), blob.mediaType);
      pushed.push(blob.digest);
      continue;
    }
    const id = shortDigest(blob.digest);
    progress.begin(id, id, blob.size);
    if (await client.hasBlob(blob, 'pull,push')) {
      skipped.push(blob.digest);
      progress.end(id, 'already exists');
      continue;
    }
    await uploadFromStore(client, store, blob, chunkSize, (n) => progress.advance(id, n));
    progress.end(id, 'pushed');
    pushed.push(blob.digest);
  }
  const manifestBytes = await store.read(root, 'manifest');
  const reported = await client.putManifest(ref.digest ?? ref.tag ?? 'latest', manifestBytes, root.mediaType);
  if (reported && reported !== sha256(manifestBytes)) {
    throw new DigestMismatchError(`${name}: the registry stored the manifest as ${reported}, expected ${root.digest}`, root.digest, reported);
  }
  return { name, digest: root.digest, pushed, skipped };
}

async function uploadFromStore(client: RegistryClient, store: ImageStore, blob: Descriptor, chunkSize: number, onBytes: (n: number) => void): Promise<void> {
  // Verify before sending: a corrupt store blob must not become a corrupt registry blob.
  await store.read(blob);
  const handle = await open(store.blobPath(blob.digest), 'r');
  try {
    await client.pushBlob(
      blob,
      async (offset, length) => {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      },
      { chunkSize, onBytes },
    );
  } finally {
    await handle.close();
  }
}
