// Errors of the image layer (store, references, tarballs, builds). Registry errors live in
// registry/errors.ts. Each has a stable `code`; messages name the image, file or blob.
import { WasmbpfError } from '../errors/index.ts';
import { RegistryError } from './registry/errors.ts';

export class InvalidReferenceError extends WasmbpfError {
  readonly code = 'WASMBPF_IMAGE_REFERENCE';
}

/** A reference that is not in the local store (and was not to be pulled). */
export class ImageNotFoundError extends WasmbpfError {
  readonly code = 'WASMBPF_IMAGE_NOT_FOUND';
}

/**
 * Says, in front of a registry failure, that `name` was looked for in the local store first.
 * A mistyped name (`execsnop:0.1`) is not in the store and so goes to docker.io; without this
 * the user only reads "cannot reach the registry docker.io" and never learns which image was
 * missing. The error keeps its class and `code` (WASMBPF_REGISTRY_*); other errors pass as is.
 */
export function notInLocalStore(err: unknown, name: string, storeRoot: string): unknown {
  if (err instanceof RegistryError) {
    err.message = `${name} is not in the local store (${storeRoot}; \`wasmbpf images\` lists what is) and fetching it failed: ${err.message}`;
  }
  return err;
}

/** A blob a document points at is not present (in the store or a tarball). */
export class BlobNotFoundError extends WasmbpfError {
  readonly code = 'WASMBPF_BLOB_MISSING';
}

/** An OCI image layout (directory or tarball) that is malformed. */
export class ImageLayoutError extends WasmbpfError {
  readonly code = 'WASMBPF_IMAGE_LAYOUT';
}

/** A tool folder that cannot be built into an image. */
export class BuildError extends WasmbpfError {
  readonly code = 'WASMBPF_BUILD';
}

/** A target of `run`/`inspect` that is neither an image reference nor a readable module/tarball. */
export class TargetError extends WasmbpfError {
  readonly code = 'WASMBPF_TARGET';
}

/** Another wasmbpf process holds the store's lock for longer than we are willing to wait. */
export class StoreLockError extends WasmbpfError {
  readonly code = 'WASMBPF_STORE_LOCKED';
}

/** A pull or push stopped by the user (Ctrl-C); whatever was in flight was discarded. */
export class TransferInterruptedError extends WasmbpfError {
  readonly code = 'WASMBPF_INTERRUPTED';
}
