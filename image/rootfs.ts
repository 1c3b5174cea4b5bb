// Finding the module in an ordinary image's root filesystem (runwasi-style images: tar layers,
// the config's Entrypoint names a .wasm file). Layers are searched from the top down, honouring
// OCI whiteouts (".wh.NAME" hides NAME below, ".wh..wh..opq" hides a whole directory below) and
// following symlinks inside the image. Layers are decompressed in memory: these images hold a
// module, not an operating system.
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { layerCompression, type Descriptor } from '../oci-spec/index.ts';
import type { ContentSource } from './content-source.ts';
import { ImageLayoutError } from './errors.ts';

/**
 * What a layer may decompress to. Without a cap a few MiB of gzip (a decompression bomb) made the
 * process allocate up to Node's 4 GiB buffer limit before failing: the shim, resolving a pod's
 * image, would be the one to run out of memory.
 */
export const MAX_LAYER_BYTES = 512 * 1024 * 1024;

interface LayerEntry {
  type: 'file' | 'symlink' | 'directory' | 'other';
  bytes?: Uint8Array;
  target?: string;
}

interface Layer {
  entries: Map<string, LayerEntry>;
  whiteouts: Set<string>;
  opaque: Set<string>;
}

function clean(path: string): string {
  return posix.normalize(`/${path}`).replace(/\/+$/, '') || '/';
}

async function readLayer(source: ContentSource, descriptor: Descriptor, what: string): Promise<Layer> {
  const raw = await source.read(descriptor, what);
  let bytes: Uint8Array;
  try {
    const compression = layerCompression(descriptor.mediaType);
    const options = { maxOutputLength: MAX_LAYER_BYTES };
    bytes = compression === 'gzip' ? gunzipSync(raw, options) : compression === 'zstd' ? zstdDecompressSync(raw, options) : raw;
  } catch (cause) {
    const tooBig = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new ImageLayoutError(tooBig
      ? `${what}: decompresses to more than ${MAX_LAYER_BYTES / 1024 / 1024} MiB (an image's rootfs layers hold a module, not an operating system)`
      : `${what}: cannot decompress (${(cause as Error).message})`, { cause });
  }
  const layer: Layer = { entries: new Map(), whiteouts: new Set(), opaque: new Set() };
  const extract = tar.extract();
  Readable.from([Buffer.from(bytes)]).pipe(extract);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const path = clean(entry.header.name);
      const base = posix.basename(path);
      const dir = posix.dirname(path);
      if (base === '.wh..wh..opq') layer.opaque.add(dir);
      else if (base.startsWith('.wh.')) layer.whiteouts.add(posix.join(dir, base.slice(4)));
      else if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') layer.entries.set(path, { type: 'file', bytes: Buffer.concat(chunks) });
      else if (entry.header.type === 'symlink') layer.entries.set(path, { type: 'symlink', target: entry.header.linkname ?? '' });
      else if (entry.header.type === 'link') layer.entries.set(path, { ...(layer.entries.get(clean(entry.header.linkname ?? '')) ?? { type: 'other' }) });
      else layer.entries.set(path, { type: entry.header.type === 'directory' ? 'directory' : 'other' });
    }
  } catch (cause) {
    throw new ImageLayoutError(`${what}: not a valid tar archive (${(cause as Error).message})`, { cause });
  }
  return layer;
}

/** The entry at `path` in the union of `layers` (lowest first), or undefined when absent or whited out. */
function lookup(layers: Layer[], path: string): LayerEntry | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const found = layer.entries.get(path);
    if (found) return found;
    if (layer.whiteouts.has(path)) return undefined;
    for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
      if (layer.whiteouts.has(dir) || layer.opaque.has(dir)) return undefined;
      if (dir === '/') break;
    }
  }
  return undefined;
}

/** Reads the file at `path` (absolute, or relative to `workdir`) from the image's rootfs layers. */
export async function readRootfsFile(source: ContentSource, layers: Descriptor[], path: string, workdir = '/'): Promise<Uint8Array> {
  const parsed: Layer[] = [];
  for (const [i, d] of layers.entries()) parsed.push(await readLayer(source, d, `rootfs layer ${i} (${d.digest})`));
  let current = clean(path.startsWith('/') ? path : posix.join(workdir, path));
  for (let hops = 0; hops < 16; hops++) {
    const entry = lookup(parsed, current);
    if (!entry) throw new ImageLayoutError(`the image's root filesystem has no file ${current} (named by its Entrypoint)`);
    if (entry.type === 'file') return entry.bytes!;
    if (entry.type !== 'symlink') throw new ImageLayoutError(`${current} in the image's root filesystem is not a regular file`);
    current = clean(entry.target!.startsWith('/') ? entry.target! : posix.join(posix.dirname(current), entry.target!));
  }
  throw new ImageLayoutError(`too many symlinks resolving ${path} in the image's root filesystem`);
}
