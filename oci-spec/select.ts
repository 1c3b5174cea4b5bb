// Arch-aware selection: which layers of an image make a runnable tool on this host. Pure
// functions over validated documents, shared by the CLI (image/resolve.ts) and the containerd
// shim (which reads the same documents from containerd's content store).
//
// An image may carry eBPF objects for several architectures; the host's are picked, and an
// image that has objects but none for the host is refused here (NoObjectForArchError) rather
// than letting a foreign object reach the kernel, where pt_regs offsets and syscall wrappers
// of another CPU would load fine and report garbage.
import { ARCHES, normalizeArch, ociArchitecture, type Arch } from './arch.ts';
import { ANNOTATION_OBJECT_ARCH, ANNOTATION_OBJECT_NAME } from './annotations.ts';
import { readObjectArch } from './ebpf-object.ts';
import {
  NoManifestForPlatformError,
  NoObjectForArchError,
  ObjectArchMismatchError,
  OciFormatError,
  UnsupportedMediaTypeError,
} from './errors.ts';
import {
  ARTIFACT_CONFIG_MEDIA_TYPES,
  MEDIA_TYPE_WASM_MODULE,
  MEDIA_TYPE_WASMBPF_OBJECT,
  IMAGE_CONFIG_MEDIA_TYPES,
  ROOTFS_LAYER_MEDIA_TYPES,
  isManifestMediaType,
} from './media-types.ts';
import type { Descriptor, Index, Manifest } from './types.ts';

/** One eBPF object layer with its (normalized) architecture and object name. */
export interface ObjectLayer {
  arch: Arch;
  name: string;
  descriptor: Descriptor;
}

/**
 * The layers of an image, by role.
 *  - 'artifact': the module is a layer of its own (wasmbpf images, wasm-bpf artifacts);
 *  - 'rootfs': ordinary tar layers, the module is a file in them named by the config's Entrypoint.
 */
export interface ImageLayers {
  kind: 'artifact' | 'rootfs';
  /** The module layer; undefined only for 'rootfs' images without one. */
  module: Descriptor | undefined;
  /** Tar layers in order (lowest first); empty for 'artifact' images. */
  rootfs: Descriptor[];
  /** Every eBPF object layer, of every architecture, in manifest order. */
  objects: ObjectLayer[];
}

export interface HostSelection extends ImageLayers {
  hostArch: Arch;
  /** The objects built for hostArch (one per object name); empty when the image carries none at all. */
  hostObjects: ObjectLayer[];
  /** The distinct architectures the image has objects for, in the canonical order. */
  arches: Arch[];
}

function objectLayer(layer: Descriptor, path: string): ObjectLayer {
  const rawArch = layer.annotations?.[ANNOTATION_OBJECT_ARCH];
  const name = layer.annotations?.[ANNOTATION_OBJECT_NAME];
  if (!rawArch) throw new OciFormatError(`${path}: eBPF object layer lacks the ${ANNOTATION_OBJECT_ARCH} annotation`);
  const arch = normalizeArch(rawArch);
  if (!arch) {
    throw new OciFormatError(`${path}: unknown architecture ${JSON.stringify(rawArch)} in ${ANNOTATION_OBJECT_ARCH} (known: ${ARCHES.join(', ')})`);
  }
  if (!name) throw new OciFormatError(`${path}: eBPF object layer lacks the ${ANNOTATION_OBJECT_NAME} annotation`);
  if (name.includes('/') || name === '.' || name === '..') {
    throw new OciFormatError(`${path}: ${ANNOTATION_OBJECT_NAME} must be a plain file name, got ${JSON.stringify(name)}`);
  }
  return { arch, name, descriptor: layer };
}

/** Sorts the layers of a manifest by role; throws on a layer type that has no place in this image kind. */
export function classifyLayers(manifest: Manifest, what = 'manifest'): ImageLayers {
  const configType = manifest.config.mediaType;
  const artifact = ARTIFACT_CONFIG_MEDIA_TYPES.includes(configType);
  if (!artifact && !IMAGE_CONFIG_MEDIA_TYPES.includes(configType)) {
    throw new UnsupportedMediaTypeError(
      `${what}.config: unsupported config media type ${JSON.stringify(configType)} (expected one of ${[...ARTIFACT_CONFIG_MEDIA_TYPES, ...IMAGE_CONFIG_MEDIA_TYPES].join(', ')})`,
      configType,
    );
  }
  let module: Descriptor | undefined;
  const rootfs: Descriptor[] = [];
  const objects: ObjectLayer[] = [];
  const seen = new Set<string>();
  manifest.layers.forEach((layer, i) => {
    const path = `${what}.layers[${i}]`;
    if (layer.mediaType === MEDIA_TYPE_WASM_MODULE) {
      if (module) throw new OciFormatError(`${path}: a second Wasm module layer (an image carries exactly one module)`);
      module = layer;
    } else if (layer.mediaType === MEDIA_TYPE_WASMBPF_OBJECT) {
      const object = objectLayer(layer, path);
      const key = `${object.arch}/${object.name}`;
      if (seen.has(key)) throw new OciFormatError(`${path}: a second eBPF object ${object.name} for ${object.arch}`);
      seen.add(key);
      objects.push(object);
    } else if (!artifact && ROOTFS_LAYER_MEDIA_TYPES.includes(layer.mediaType)) {
      rootfs.push(layer);
    } else {
      const expected = artifact
        ? [MEDIA_TYPE_WASM_MODULE, MEDIA_TYPE_WASMBPF_OBJECT]
        : [...ROOTFS_LAYER_MEDIA_TYPES, MEDIA_TYPE_WASM_MODULE, MEDIA_TYPE_WASMBPF_OBJECT];
      throw new UnsupportedMediaTypeError(
        `${path}: unsupported layer media type ${JSON.stringify(layer.mediaType)} in an image with config ${configType} (expected one of ${expected.join(', ')})`,
        layer.mediaType,
      );
    }
  });
  if (artifact && !module) throw new OciFormatError(`${what}: no Wasm module layer (${MEDIA_TYPE_WASM_MODULE})`);
  if (!artifact && !module && rootfs.length === 0) throw new OciFormatError(`${what}: no layers: neither a Wasm module layer nor a root filesystem`);
  return { kind: module ? 'artifact' : 'rootfs', module, rootfs: module ? [] : rootfs, objects };
}

/** The distinct architectures among `objects`, in canonical order. */
export function objectArches(objects: readonly ObjectLayer[]): Arch[] {
  const present = new Set(objects.map((o) => o.arch));
  return ARCHES.filter((a) => present.has(a));
}

/**
 * Picks the module and the host's eBPF objects from a manifest. Throws NoObjectForArchError when
 * the image carries eBPF objects and none of them is for hostArch; an image without any object
 * (the module embeds its own, or uses no eBPF) selects fine with hostObjects empty.
 */
export function selectForHost(manifest: Manifest, hostArch: Arch, what = 'manifest'): HostSelection {
  const layers = classifyLayers(manifest, what);
  const arches = objectArches(layers.objects);
  const hostObjects = layers.objects.filter((o) => o.arch === hostArch);
  if (layers.objects.length > 0 && hostObjects.length === 0) throw new NoObjectForArchError(hostArch, arches);
  return { ...layers, hostArch, hostObjects, arches };
}

/**
 * Checks an object's bytes against the architecture its layer claims, using the SDK's
 * .wasmbpf.arch marker. Objects without the marker (built by other toolchains) pass: the
 * annotation is all there is to go by.
 */
export function verifyObjectArch(object: Pick<ObjectLayer, 'arch' | 'name'>, bytes: Uint8Array): void {
  const actual = readObjectArch(bytes);
  if (actual !== undefined && actual !== object.arch) {
    throw new ObjectArchMismatchError(
      `eBPF object ${object.name} is labelled ${object.arch} but was built for ${actual} (its .wasmbpf.arch section says so)`,
      object.arch,
      actual,
    );
  }
}

/**
 * Picks the manifest to run from an index: the only manifest; else one for the wasm platform
 * (architecture "wasm", as runwasi's multi-platform images mark it); else one for
 * linux/<host>. Nested indexes are not followed.
 */
export function selectManifest(index: Index, hostArch: Arch, what = 'index'): Descriptor {
  const manifests = index.manifests.filter((m) => isManifestMediaType(m.mediaType));
  if (manifests.length === 1) return manifests[0]!;
  const wasm = manifests.find((m) => m.platform?.architecture === 'wasm');
  if (wasm) return wasm;
  const host = manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === ociArchitecture(hostArch));
  if (host) return host;
  const platforms = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : m.mediaType));
  throw new NoManifestForPlatformError(
    manifests.length === 0
      ? `${what}: no image manifest in the index (entries: ${platforms.join(', ') || 'none'})`
      : `${what}: no manifest for wasm or linux/${ociArchitecture(hostArch)} among ${manifests.length} (platforms: ${platforms.join(', ')})`,
  );
}
