// A registry repository as a ContentSource, for reading an image's documents without pulling it
// (`wasmbpf inspect` of a remote reference). Blobs are buffered and verified like any other read.
import { digestOf, parseDigest, parseImageDocument, verifyBlob, DigestMismatchError, type Descriptor } from '../../oci-spec/index.ts';
import type { ContentSource } from '../content-source.ts';
import type { ImageReference } from '../reference.ts';
import { RegistryClient } from './client.ts';

export class RegistrySource implements ContentSource {
  readonly label: string;
  readonly #client: RegistryClient;

  constructor(client: RegistryClient) {
    this.#client = client;
    this.label = `${client.registry}/${client.repository}`;
  }

  /** The descriptor the reference points at (manifest or index), its digest checked. */
  async resolve(ref: ImageReference): Promise<Descriptor> {
    const fetched = await this.#client.getManifest(ref.digest ?? ref.tag ?? 'latest');
    const expected = ref.digest ?? fetched.digest;
    const actual = digestOf(fetched.bytes, expected ? parseDigest(expected).algorithm : 'sha256');
    if (expected && actual !== expected) {
      throw new DigestMismatchError(`manifest of ${this.label}: the registry promised ${expected} but the content is ${actual}`, expected, actual);
    }
    const doc = parseImageDocument(fetched.bytes, fetched.mediaType, `manifest of ${this.label}`);
    const mediaType = (doc.kind === 'index' ? doc.index.mediaType : doc.manifest.mediaType) ?? fetched.mediaType;
    return { mediaType, digest: actual, size: fetched.bytes.length };
  }

  async read(descriptor: Descriptor, what = 'blob'): Promise<Uint8Array> {
    const isDocument = /manifest|index/.test(descriptor.mediaType);
    let bytes: Uint8Array;
    if (isDocument) {
      bytes = (await this.#client.getManifest(descriptor.digest)).bytes;
    } else {
      const chunks: Uint8Array[] = [];
      for await (const chunk of await this.#client.getBlob(descriptor, what)) chunks.push(chunk);
      bytes = Buffer.concat(chunks);
    }
    verifyBlob(descriptor, bytes, `${what} from ${this.label}`);
    return bytes;
  }
}
