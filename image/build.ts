// `wasmbpf build`: compile a tool folder with the SDK (sdk/toolchain/compile.ts), assemble the
// image (assemble.ts, deterministic), store it under its name and optionally write an OCI
// layout tarball. The same sources give the same digest: the compilers are deterministic, the
// documents carry no timestamps unless SOURCE_DATE_EPOCH asks for one, and tarball entries are
// sorted with zeroed times and owners.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Arch, Descriptor } from '../oci-spec/index.ts';
import { assembleImage, createdFromEnv, type AssembledImage } from './assemble.ts';
import { writeLayoutTarball } from './layout-tarball.ts';
import { formatReference, parseReference } from './reference.ts';
import { ImageStore } from './store.ts';

/** What the SDK's compileTool returns (the fields the image needs). */
export interface ToolArtifacts {
  name: string;
  wasmPath: string;
  objects: { arch: Arch; name: string; path: string }[];
  args: string[];
}

export interface BuildOptions {
  /** Image reference to store the image under. */
  tag: string;
  /** Also write an OCI layout tarball here. */
  output?: string;
  arches?: Arch[];
  home?: string;
}

export interface BuildResult {
  name: string;
  descriptor: Descriptor;
  image: AssembledImage;
  output?: string;
}

/** Packs already compiled artifacts into an image in the store (and a tarball with `output`). */
export async function packTool(tool: ToolArtifacts, options: BuildOptions): Promise<BuildResult> {
  const name = formatReference(parseReference(options.tag));
  const wasm = await readFile(tool.wasmPath);
  const objects = await Promise.all(tool.objects.map(async (o) => ({ arch: o.arch, name: o.name, bytes: await readFile(o.path) })));
  const created = createdFromEnv();
  const image = assembleImage({ name: tool.name, wasm, objects, args: tool.args, ...(created ? { created } : {}) });
  const store = ImageStore.open(options.home);
  // Children first, the manifest last, the name at the very end: a reader never sees a name
  // whose blobs are not all there.
  for (const blob of [...image.blobs].reverse()) await store.write(blob.bytes, blob.descriptor.mediaType);
  await store.tag(name, image.manifest);
  const result: BuildResult = { name, descriptor: image.manifest, image };
  if (options.output) {
    result.output = resolve(options.output);
    await writeLayoutTarball(result.output, store, [{ name, descriptor: image.manifest }]);
  }
  return result;
}

/** Compiles the tool folder `dir` and packs it. */
export async function buildImage(dir: string, options: BuildOptions): Promise<BuildResult> {
  // Loaded lazily: the toolchain is only needed here, not by pull/push/run.
  const { compileTool } = await import('../sdk/toolchain/compile.ts');
  const tool = await compileTool(dir, options.arches ? { arches: options.arches } : {});
  return packTool(tool, options);
}
