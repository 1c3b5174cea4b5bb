// The blobs an image is made of, found by walking its documents from the root descriptor:
// index -> manifests -> config + layers. Used to copy an image between sources (store ->
// tarball, store -> registry). Children come before their parents in the result, the order a
// registry needs: a manifest may only be pushed once everything it points at exists.
import { isIndexMediaType, isManifestMediaType, parseIndex, parseManifest, type Descriptor } from '../oci-spec/index.ts';
import type { ContentSource } from './content-source.ts';

export async function imageBlobs(source: ContentSource, root: Descriptor): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = async (d: Descriptor, what: string): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (isIndexMediaType(d.mediaType)) {
      const index = parseIndex(await source.read(d, what), d.mediaType, what);
      for (const [i, m] of index.manifests.entries()) await visit(m, `${what}.manifests[${i}]`);
    } else if (isManifestMediaType(d.mediaType)) {
      const manifest = parseManifest(await source.read(d, what), d.mediaType, what);
      out.push(manifest.config);
      seen.add(manifest.config.digest);
      for (const layer of manifest.layers) {
        if (!seen.has(layer.digest)) out.push(layer);
        seen.add(layer.digest);
      }
    }
    out.push(d);
  };
  await visit(root, 'manifest');
  return out;
}
