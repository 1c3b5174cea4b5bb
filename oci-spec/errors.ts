// Errors of the OCI data layer. Each has a stable `code` for callers and tests to match on;
// messages name the document and the field (e.g. "manifest: layers[1].digest: ...").
import type { Arch } from './arch.ts';
import { WasmbpfError } from '../errors/index.ts';

/** A document (index, manifest, config, descriptor) that is not valid JSON or breaks the schema. */
export class OciFormatError extends WasmbpfError {
  readonly code = 'WASMBPF_OCI_INVALID';
}

/** A media type wasmbpf does not know how to run (or a layer type that does not belong in this image kind). */
export class UnsupportedMediaTypeError extends WasmbpfError {
  readonly code = 'WASMBPF_OCI_MEDIA_TYPE';
  constructor(
    message: string,
    readonly mediaType: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Content whose sha256 is not the one its descriptor (or reference) promised. */
export class DigestMismatchError extends WasmbpfError {
  readonly code = 'WASMBPF_DIGEST_MISMATCH';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Content whose length is not the size its descriptor promised (truncated or padded). */
export class SizeMismatchError extends WasmbpfError {
  readonly code = 'WASMBPF_SIZE_MISMATCH';
  constructor(
    message: string,
    readonly expected: number,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The image carries eBPF objects, but none built for the host's CPU architecture. */
export class NoObjectForArchError extends WasmbpfError {
  readonly code = 'WASMBPF_NO_OBJECT_FOR_ARCH';
  constructor(
    readonly hostArch: Arch,
    readonly available: Arch[],
    options?: ErrorOptions,
  ) {
    super(
      `the image has no eBPF object for the host architecture ${hostArch}; it has objects for ${available.join(', ')}`,
      options,
    );
  }
}

/** An eBPF object whose .wasmbpf.arch marker disagrees with the architecture its layer claims. */
export class ObjectArchMismatchError extends WasmbpfError {
  readonly code = 'WASMBPF_OBJECT_ARCH_MISMATCH';
  constructor(
    message: string,
    readonly declared: Arch,
    readonly actual: Arch,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An index with no manifest wasmbpf can run on this host. */
export class NoManifestForPlatformError extends WasmbpfError {
  readonly code = 'WASMBPF_NO_MANIFEST_FOR_PLATFORM';
}
