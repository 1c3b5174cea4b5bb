// What `wasmbpf inspect` and `wasmbpf images` show: an image's manifest, command line, layers
// with their roles, architectures and annotations, as plain data (the CLI renders it as a table
// or JSON). A reference is looked up in the local store first, then read from its registry
// without being pulled.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ANNOTATION_OBJECT_ARCH,
  ANNOTATION_OBJECT_NAME,
  MEDIA_TYPE_WASM_CONFIG,
  MEDIA_TYPE_WASM_MODULE,
  MEDIA_TYPE_WASMBPF_OBJECT,
  classifyLayers,
  commandLine,
  hostArch,
  objectArches,
  sha256,
  type Annotations,
  type Arch,
} from '../oci-spec/index.ts';
import { notInLocalStore } from './errors.ts';
import { ImageLayout } from './layout-tarball.ts';
import { loadImage, type LoadedImage } from './load.ts';
import { familiarName, formatReference, parseReference } from './reference.ts';
import { connectRegistry } from './registry/connect.ts';
import type { Credentials } from './registry/credentials.ts';
import { RegistrySource } from './registry/source.ts';
import { ImageStore } from './store.ts';
import { classifyTarget } from './target.ts';

export interface LayerInfo {
  role: 'module' | 'ebpf-object' | 'rootfs';
  mediaType: string;
  digest: string;
  size: number;
  arch?: Arch;
  objectName?: string;
  annotations?: Annotations;
}

export interface ImageInfo {
  kind: 'image';
  name: string;
  /** Where it was read from: "the local store", "image.tar", "registry host/repo". */
  source: string;
  digest: string;
  mediaType: string;
  configMediaType: string;
  /** wasmbpf: image config, module + objects layers; wasm-artifact: wasm-bpf/oci-distribution artifact; rootfs: runwasi style. */
  format: 'wasmbpf' | 'wasm-artifact' | 'rootfs';
  command: string[];
  env: string[];
  arches: Arch[];
  /** Size of the manifest, config and layers together. */
  size: number;
  layers: LayerInfo[];
  annotations: Annotations;
}

export interface ModuleInfo {
  kind: 'module';
  name: string;
  path: string;
  digest: string;
  size: number;
  /** Import modules the module uses (wasm_bpf, wasi_snapshot_preview1, ...). */
  imports: string[];
}

export function describeImage(image: LoadedImage, source: string): ImageInfo {
  const layers = classifyLayers(image.manifest, `manifest of ${image.name}`);
  const info: LayerInfo[] = image.manifest.layers.map((l) => {
    const role = l.mediaType === MEDIA_TYPE_WASM_MODULE ? 'module' : l.mediaType === MEDIA_TYPE_WASMBPF_OBJECT ? 'ebpf-object' : 'rootfs';
    const object = layers.objects.find((o) => o.descriptor === l);
    return {
      role,
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(object ? { arch: object.arch, objectName: object.name } : {}),
      ...(l.annotations && Object.keys(l.annotations).some((k) => k !== ANNOTATION_OBJECT_ARCH && k !== ANNOTATION_OBJECT_NAME) ? { annotations: l.annotations } : {}),
    } satisfies LayerInfo;
  });
  const format = layers.kind === 'rootfs' ? 'rootfs' : image.manifest.config.mediaType === MEDIA_TYPE_WASM_CONFIG ? 'wasm-artifact' : 'wasmbpf';
  return {
    kind: 'image',
    name: image.name,
    source,
    digest: image.manifestDescriptor.digest,
    mediaType: image.manifestDescriptor.mediaType,
    configMediaType: image.manifest.config.mediaType,
    format,
    command: commandLine(image.config),
    env: image.config.config?.Env ?? [],
    arches: objectArches(layers.objects),
    size: image.manifestDescriptor.size + image.manifest.config.size + image.manifest.layers.reduce((n, l) => n + l.size, 0),
    layers: info,
    annotations: image.manifest.annotations ?? {},
  };
}

export async function inspectTarget(
  target: string,
  options: { home?: string; hostArch?: Arch; insecure?: boolean; credentials?: Partial<Credentials> } = {},
): Promise<ImageInfo | ModuleInfo> {
  const machine = options.hostArch ?? hostArch();
  const kind = await classifyTarget(target);
  if (kind.kind === 'module') {
    const bytes = await readFile(kind.path);
    let imports: string[] = [];
    try {
      imports = [...new Set(WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => i.module))].sort();
    } catch {
      // Not compilable here: still show what can be shown.
    }
    return { kind: 'module', name: basename(kind.path), path: kind.path, digest: sha256(bytes), size: bytes.length, imports };
  }
  if (kind.kind === 'layout') {
    const layout = await ImageLayout.open(kind.path);
    const image = layout.select();
    return describeImage(await loadImage(layout, image.name, image.descriptor, machine), layout.label);
  }
  const ref = parseReference(kind.reference);
  const name = formatReference(ref);
  const store = ImageStore.open(options.home);
  const local = await store.resolve(name);
  if (local) return describeImage(await loadImage(store, name, local, machine), store.label);
  const remote = new RegistrySource(await connectRegistry(ref, options));
  let root: Awaited<ReturnType<RegistrySource['resolve']>>;
  try {
    root = await remote.resolve(ref);
  } catch (err) {
    throw notInLocalStore(err, familiarName(name), store.root);
  }
  return describeImage(await loadImage(remote, name, root, machine), `registry ${remote.label}`);
}
