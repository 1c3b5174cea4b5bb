// `wasmbpf pull`: copies an image from a registry into the local store. The manifest is
// checked first (digest against the reference or Docker-Content-Digest, schema, media types of
// every layer), so an image wasmbpf could not run is refused before anything is downloaded.
// Blobs stream to temp files and are renamed into the store only once their size and digest
// match; the name is tagged last. A failed pull therefore leaves no partial blob and no name,
// only complete, verified blobs that the next attempt reuses.
import {
  classifyLayers,
  digestOf,
  parseDigest,
  parseImageConfig,
  parseImageDocument,
  parseManifest,
  selectManifest,
  verifyBlob,
  DigestMismatchError,
  type Arch,
  type Descriptor,
  hostArch,
} from '../oci-spec/index.ts';
import { silentProgress, shortDigest, type Progress } from './progress.ts';
import { formatReference, parseReference } from './reference.ts';
import { connectRegistry, reportingAbort } from './registry/connect.ts';
import type { Credentials } from './registry/credentials.ts';
import { ImageStore } from './store.ts';
import type { VerificationKey } from './signature/key-files.ts';
import { verifyImageSignature } from './signature/verify.ts';

export interface TransferOptions {
  home?: string;
  insecure?: boolean;
  credentials?: Partial<Credentials>;
  progress?: Progress;
  /** For picking a manifest out of a multi-platform index. */
  hostArch?: Arch;
  /** Stops the transfer; a blob being written is discarded (its temp file removed). */
  signal?: AbortSignal;
  /**
   * Pull only an image signed by one of these keys (signature/verify.ts): the digest the
   * reference resolves to is checked before any blob is fetched, so a refused image leaves nothing.
   */
  verifyKeys?: readonly VerificationKey[];
}

export interface PullResult {
  /** Full normalized name the image is stored under. */
  name: string;
  /** The manifest stored under that name. */
  descriptor: Descriptor;
  /** Digests downloaded and digests already in the store. */
  fetched: string[];
  present: string[];
}

export async function pullImage(reference: string, options: TransferOptions = {}): Promise<PullResult> {
  return reportingAbort(options.signal, () => pull(reference, options));
}

async function pull(reference: string, options: TransferOptions): Promise<PullResult> {
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const store = ImageStore.open(options.home);
  const progress = options.progress ?? silentProgress;
  const client = await connectRegistry(ref, options);

  await store.sweepAbandoned();
  const top = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  const expected = ref.digest ?? top.digest;
  const what = `manifest of ${name}`;
  if (expected) {
    const actual = digestOf(top.bytes, parseDigest(expected, `digest of ${name}`).algorithm);
    if (actual !== expected) {
      throw new DigestMismatchError(`${what}: the registry promised ${expected} but the content is ${actual}`, expected, actual);
    }
  }
  if (options.verifyKeys) {
    await verifyImageSignature({ client, image: name, digest: expected ?? digestOf(top.bytes), keys: options.verifyKeys });
  }
  const document = parseImageDocument(top.bytes, top.mediaType, what);
  let manifestBytes = top.bytes;
  let manifestDescriptor: Descriptor;
  if (document.kind === 'index') {
    manifestDescriptor = selectManifest(document.index, options.hostArch ?? hostArch(), `index of ${name}`);
    const fetched = await client.getManifest(manifestDescriptor.digest);
    verifyBlob(manifestDescriptor, fetched.bytes, `manifest ${manifestDescriptor.digest} of ${name}`);
    manifestBytes = fetched.bytes;
  } else {
    const mediaType = document.manifest.mediaType ?? top.mediaType;
    manifestDescriptor = { mediaType, digest: digestOf(top.bytes), size: top.bytes.length };
  }
  const { platform: _, annotations: __, ...plainDescriptor } = manifestDescriptor;
  const manifest = parseManifest(manifestBytes, plainDescriptor.mediaType, what);
  classifyLayers(manifest, what);

  const fetchedDigests: string[] = [];
  const present: string[] = [];
  for (const [i, blob] of [manifest.config, ...manifest.layers].entries()) {
    const label = i === 0 ? 'config' : `layer ${i - 1}`;
    const id = shortDigest(blob.digest);
    progress.begin(id, `${id} ${label}`, blob.size);
    if (await store.hasVerified(blob)) {
      present.push(blob.digest);
      progress.end(id, 'already present');
    } else {
      const body = await client.getBlob(blob, `${label} ${blob.digest}`);
      await store.writeStream(blob, body, `${label} ${blob.digest} of ${name}`, (n) => progress.advance(id, n));
      progress.end(id, 'done');
      fetchedDigests.push(blob.digest);
    }
    // The config comes first: a broken one stops the pull before any layer is downloaded.
    if (i === 0) parseImageConfig(await store.read(manifest.config, 'config'), `config of ${name}`);
  }
  await store.write(manifestBytes, plainDescriptor.mediaType);
  await store.tag(name, plainDescriptor);
  return { name, descriptor: plainDescriptor, fetched: fetchedDigests, present };
}
