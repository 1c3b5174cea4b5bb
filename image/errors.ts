// Errors of the image layer (store, references, tarballs, builds). Registry errors live in
// registry/errors.ts. Each has a stable `code`; messages name the image, file or blob.

export class InvalidReferenceError extends Error {
  readonly code = 'WASMBPF_IMAGE_REFERENCE';
}

/** A reference that is not in the local store (and was not to be pulled). */
export class ImageNotFoundError extends Error {
  readonly code = 'WASMBPF_IMAGE_NOT_FOUND';
}

/** A blob a document points at is not present (in the store or a tarball). */
export class BlobNotFoundError extends Error {
  readonly code = 'WASMBPF_BLOB_MISSING';
}

/** An OCI image layout (directory or tarball) that is malformed. */
export class ImageLayoutError extends Error {
  readonly code = 'WASMBPF_IMAGE_LAYOUT';
}

/** A tool folder that cannot be built into an image. */
export class BuildError extends Error {
  readonly code = 'WASMBPF_BUILD';
}

/** A target of `run`/`inspect` that is neither an image reference nor a readable module/tarball. */
export class TargetError extends Error {
  readonly code = 'WASMBPF_TARGET';
}

/** Another wasmbpf process holds the store's lock for longer than we are willing to wait. */
export class StoreLockError extends Error {
  readonly code = 'WASMBPF_STORE_LOCKED';
}

/** A pull or push stopped by the user (Ctrl-C); whatever was in flight was discarded. */
export class TransferInterruptedError extends Error {
  readonly code = 'WASMBPF_INTERRUPTED';
}
