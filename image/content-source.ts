// Where image documents and blobs come from: the local store, an OCI layout tarball, or (for
// inspect) a registry. Readers above this interface (resolve, inspect, push) do not care which.
import type { Descriptor } from '../oci-spec/index.ts';

export interface ContentSource {
  /** A short description for messages, e.g. "the local store" or "image.tar". */
  readonly label: string;
  /** The blob's bytes, verified against the descriptor's size and digest; BlobNotFoundError when absent. */
  read(descriptor: Descriptor, what?: string): Promise<Uint8Array>;
}
