// Media types wasmbpf reads and writes. Three image shapes meet here:
//  - wasmbpf images: an OCI image config (command line, one EMPTY_LAYER_DIFF_ID per layer), one
//    Wasm module layer and one eBPF object layer per (architecture, object name);
//  - wasm-bpf / oci-distribution artifacts: config application/vnd.wasm.config.v1+json and the
//    module layer alone (what wasm-bpf's `ecli push` produces), so its images run unchanged;
//  - ordinary OCI/Docker images whose rootfs tar layers hold a .wasm file named by the
//    config's Entrypoint (the way runwasi's images look).

export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_TYPE_OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_OCI_LAYER_TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';

export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const MEDIA_TYPE_DOCKER_LAYER_TAR_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** The Wasm module layer: the type wasm-bpf's tooling and the oci-distribution crate use. */
export const MEDIA_TYPE_WASM_MODULE = 'application/vnd.wasm.content.layer.v1+wasm';
/** The config of wasm-bpf / oci-distribution Wasm artifacts (usually `{}`). */
export const MEDIA_TYPE_WASM_CONFIG = 'application/vnd.wasm.config.v1+json';

/** One eBPF ELF object for one CPU architecture (see annotations.ts for its annotations). */
export const MEDIA_TYPE_WASMBPF_OBJECT = 'application/vnd.wasmbpf.ebpf.object.v1+elf';

export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST_LIST];
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST];
/** Configs of images that are nothing but a Wasm artifact (no image config, no rootfs). */
export const ARTIFACT_CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_WASM_CONFIG];
/** Image configs: wasmbpf's own images, and ordinary container images (runwasi style). */
export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_DOCKER_CONFIG];
export const ROOTFS_LAYER_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE_OCI_LAYER_TAR,
  MEDIA_TYPE_OCI_LAYER_TAR_GZIP,
  MEDIA_TYPE_OCI_LAYER_TAR_ZSTD,
  MEDIA_TYPE_DOCKER_LAYER_TAR_GZIP,
];

/** The Accept header for fetching a manifest: every document type wasmbpf can read. */
export const MANIFEST_ACCEPT: readonly string[] = [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** How a rootfs layer is compressed, from its media type. */
export function layerCompression(mediaType: string): 'none' | 'gzip' | 'zstd' | undefined {
  switch (mediaType) {
    case MEDIA_TYPE_OCI_LAYER_TAR:
      return 'none';
    case MEDIA_TYPE_OCI_LAYER_TAR_GZIP:
    case MEDIA_TYPE_DOCKER_LAYER_TAR_GZIP:
      return 'gzip';
    case MEDIA_TYPE_OCI_LAYER_TAR_ZSTD:
      return 'zstd';
    default:
      return undefined;
  }
}
