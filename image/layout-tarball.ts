// OCI image layout tarballs (what `wasmbpf build -o` writes, `ctr images import` and
// `skopeo copy oci-archive:` read) and layout directories (what `skopeo copy oci:DIR` writes).
//
// Writing is reproducible: entries sorted by path, mtime 0, uid/gid 0, no user names, fixed
// modes, so the same image always gives the same tarball bytes. index.json names each image the
// way BuildKit does: io.containerd.image.name carries the full reference (what ctr uses) and
// org.opencontainers.image.ref.name the tag (what the OCI layout spec intends).
//
// Reading loads the tarball's entries into memory: wasmbpf images are a module and a few
// objects (megabytes). Blobs are verified against their descriptors on every read.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import tar from 'tar-stream';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  MEDIA_TYPE_OCI_INDEX,
  parseDigest,
  parseImageLayoutFile,
  parseIndex,
  verifyBlob,
  type Descriptor,
  type Index,
} from '../oci-spec/index.ts';
import { writeAtomically } from './atomic-file.ts';
import type { ContentSource } from './content-source.ts';
import { BlobNotFoundError, ImageLayoutError, ImageNotFoundError } from './errors.ts';
import { parseReference } from './reference.ts';
import type { StoredImage } from './store.ts';
import { imageBlobs } from './walk.ts';

const EPOCH = new Date(0);

/** Writes `images` (full name + manifest descriptor, blobs from `source`) as an OCI layout tarball at `dest`. */
export async function writeLayoutTarball(dest: string, source: ContentSource, images: StoredImage[]): Promise<void> {
  const files = new Map<string, Uint8Array>();
  const manifests: Descriptor[] = [];
  for (const image of images) {
    for (const d of await imageBlobs(source, image.descriptor)) {
      const { algorithm, hex } = parseDigest(d.digest);
      const path = `blobs/${algorithm}/${hex}`;
      if (!files.has(path)) files.set(path, await source.read(d));
    }
    const ref = parseReference(image.name);
    const { annotations: _, ...plain } = image.descriptor;
    manifests.push({
      ...plain,
      annotations: { [ANNOTATION_CONTAINERD_IMAGE_NAME]: image.name, [ANNOTATION_REF_NAME]: ref.tag ?? ref.digest ?? 'latest' },
    });
  }
  const index: Index = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests };
  files.set('index.json', new TextEncoder().encode(`${JSON.stringify(index)}\n`));
  files.set('oci-layout', new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}'));

  const dirs = new Set<string>();
  for (const path of files.keys()) {
    for (let d = dirname(path); d !== '.'; d = dirname(d)) dirs.add(`${d}/`);
  }
  const entries = [...dirs, ...files.keys()].sort();
  const pack = tar.pack();
  for (const name of entries) {
    const header = { name, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
    if (name.endsWith('/')) pack.entry({ ...header, type: 'directory', mode: 0o755 });
    else pack.entry({ ...header, type: 'file', mode: 0o644 }, Buffer.from(files.get(name)!));
  }
  pack.finalize();
  await writeAtomically(dest, dirname(dest), pack as AsyncIterable<Buffer>);
}

/** An OCI image layout read from a tarball or a directory. */
export class ImageLayout implements ContentSource {
  readonly label: string;
  readonly index: Index;
  readonly #read: (path: string) => Promise<Uint8Array | undefined>;

  private constructor(label: string, index: Index, read: (path: string) => Promise<Uint8Array | undefined>) {
    this.label = label;
    this.index = index;
    this.#read = read;
  }

  static async open(path: string): Promise<ImageLayout> {
    const info = await stat(path).catch((cause) => {
      throw new ImageLayoutError(`cannot open the image layout ${path}: ${(cause as Error).message}`, { cause });
    });
    if (info.isDirectory()) {
      // A tool folder is the likeliest wrong directory (`wasmbpf run examples/execsnoop`).
      const isToolFolder = await stat(join(path, 'wasmbpf.json')).then(() => true, () => false);
      if (isToolFolder && !(await stat(join(path, 'oci-layout')).then(() => true, () => false))) {
        throw new ImageLayoutError(`${path} is a tool folder, not an image: \`wasmbpf compile ${path}\` makes build/NAME.wasm, \`wasmbpf build ${path} -t REF\` an image`);
      }
      return ImageLayout.#fromReader(path, async (p) => readFile(join(path, p)).catch(() => undefined));
    }
    const entries = await readTarball(path);
    return ImageLayout.#fromReader(basename(path), async (p) => entries.get(p));
  }

  static async #fromReader(label: string, read: (path: string) => Promise<Uint8Array | undefined>): Promise<ImageLayout> {
    const layout = await read('oci-layout');
    if (!layout) throw new ImageLayoutError(`${label} is not an OCI image layout: it has no oci-layout file`);
    parseImageLayoutFile(layout, `${label}: oci-layout`);
    const indexBytes = await read('index.json');
    if (!indexBytes) throw new ImageLayoutError(`${label} is not an OCI image layout: it has no index.json`);
    return new ImageLayout(label, parseIndex(indexBytes, undefined, `${label}: index.json`), read);
  }

  async read(descriptor: Descriptor, what = 'blob'): Promise<Uint8Array> {
    const { algorithm, hex } = parseDigest(descriptor.digest);
    const bytes = await this.#read(`blobs/${algorithm}/${hex}`);
    if (!bytes) throw new BlobNotFoundError(`${what} ${descriptor.digest} is missing from ${this.label}`);
    verifyBlob(descriptor, bytes, `${what} in ${this.label}`);
    return bytes;
  }

  /** The images index.json names (full name when annotated, else the ref name, else the digest). */
  images(): StoredImage[] {
    return this.index.manifests.map((d) => ({
      name: d.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME] ?? d.annotations?.[ANNOTATION_REF_NAME] ?? d.digest,
      descriptor: d,
    }));
  }

  /** The image to use: the only one, or the one whose name or tag is `name`. */
  select(name?: string): StoredImage {
    const images = this.images();
    if (name === undefined) {
      if (images.length === 1) return images[0]!;
      throw new ImageNotFoundError(
        images.length === 0 ? `${this.label} holds no image` : `${this.label} holds ${images.length} images (${images.map((i) => i.name).join(', ')}); name one`,
      );
    }
    const found = images.find((i) => i.name === name || i.descriptor.annotations?.[ANNOTATION_REF_NAME] === name);
    if (!found) throw new ImageNotFoundError(`${this.label} has no image named ${name} (it has ${images.map((i) => i.name).join(', ') || 'none'})`);
    return found;
  }
}

async function readTarball(path: string): Promise<Map<string, Uint8Array>> {
  const entries = new Map<string, Uint8Array>();
  const extract = tar.extract();
  const input = createReadStream(path);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        entries.set(entry.header.name.replace(/^(\.\/)+/, ''), Buffer.concat(chunks));
      }
    }
  } catch (cause) {
    throw new ImageLayoutError(`cannot read the image tarball ${path}: ${(cause as Error).message}`, { cause });
  }
  return entries;
}
