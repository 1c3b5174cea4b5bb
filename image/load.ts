// Opening an image from any content source down to the pieces a runner needs: the manifest
// (picked out of an index for this host), the parsed config, and the arch-aware layer
// selection. Shared by resolve.ts (run) and inspect.ts.
import {
  isIndexMediaType,
  parseImageConfig,
  parseImageDocument,
  parseManifest,
  selectManifest,
  type Arch,
  type Descriptor,
  type ImageConfig,
  type Manifest,
} from '../oci-spec/index.ts';
import type { ContentSource } from './content-source.ts';

export interface LoadedImage {
  source: ContentSource;
  name: string;
  /** What the name points at (a manifest, or an index). */
  root: Descriptor;
  /** The manifest in use (root itself, or the one picked from the index). */
  manifestDescriptor: Descriptor;
  manifest: Manifest;
  config: ImageConfig;
}

export async function loadImage(source: ContentSource, name: string, root: Descriptor, hostArch: Arch): Promise<LoadedImage> {
  let manifestDescriptor = root;
  if (isIndexMediaType(root.mediaType)) {
    const doc = parseImageDocument(await source.read(root, `index of ${name}`), root.mediaType, `index of ${name}`);
    if (doc.kind === 'index') manifestDescriptor = selectManifest(doc.index, hostArch, `index of ${name}`);
  }
  const what = `manifest of ${name}`;
  const manifest = parseManifest(await source.read(manifestDescriptor, what), manifestDescriptor.mediaType, what);
  const config = parseImageConfig(await source.read(manifest.config, `config of ${name}`), `config of ${name}`);
  return { source, name, root, manifestDescriptor, manifest, config };
}
