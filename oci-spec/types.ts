// Typed OCI documents (image-spec v1.1), the subset wasmbpf reads and writes. Docker schema 2
// manifests and manifest lists have the same shape and are read through the same types.
import type { Digest } from './digest.ts';

export type Annotations = Record<string, string>;

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Annotations;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Annotations;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Annotations;
}

/** The execution part of an image config (OCI names, Docker casing). */
export interface ExecutionConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

/**
 * An image config. wasmbpf images carry architecture "wasm", os "wasip1", no created time (unless
 * SOURCE_DATE_EPOCH), one EMPTY_LAYER_DIFF_ID per layer; the tool's command line is Entrypoint
 * followed by Cmd.
 */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  created?: string;
  config?: ExecutionConfig;
  rootfs?: { type: string; diff_ids: Digest[] };
}

/** The contents of an OCI image layout's `oci-layout` file. */
export interface ImageLayoutFile {
  imageLayoutVersion: string;
}
