// Turns a tool's bytes (module, per-architecture eBPF objects, command line) into the blobs of
// a wasmbpf image. Pure and deterministic: the same inputs give byte-identical documents, hence
// the same manifest digest. Nothing here reads a clock or the file system; a creation time is
// written only when the caller passes one (SOURCE_DATE_EPOCH, see build.ts).
import {
  ANNOTATION_CREATED,
  ANNOTATION_OBJECT_ARCH,
  ANNOTATION_OBJECT_NAME,
  ANNOTATION_TITLE,
  ARCHES,
  EMPTY_LAYER_DIFF_ID,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_WASMBPF_OBJECT,
  MEDIA_TYPE_WASM_MODULE,
  isBpfElf,
  sha256,
  verifyObjectArch,
  type Arch,
  type Descriptor,
  type ImageConfig,
  type Manifest,
  isWasmModule,
} from '../oci-spec/index.ts';
import { BuildError } from './errors.ts';

export interface ToolImageInput {
  /** The tool's name: argv[0] and the manifest's title. */
  name: string;
  wasm: Uint8Array;
  objects: { arch: Arch; name: string; bytes: Uint8Array }[];
  /** Default arguments after argv[0] (the config's Cmd). */
  args: string[];
  env?: string[];
  /** RFC 3339 creation time; omit for a build that does not depend on when it ran. */
  created?: string;
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export interface AssembledImage {
  manifest: Descriptor;
  /** Every blob of the image: manifest, config, module, objects. */
  blobs: Blob[];
}

function blob(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): Blob {
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) }, bytes };
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function assembleImage(input: ToolImageInput): AssembledImage {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(input.name)) {
    throw new BuildError(`tool name ${JSON.stringify(input.name)} must be letters, digits, '.', '_' or '-'`);
  }
  if (!isWasmModule(input.wasm)) {
    throw new BuildError(`the module of ${input.name} is not a WebAssembly binary (bad magic)`);
  }
  const seen = new Set<string>();
  for (const o of input.objects) {
    if (!/^[^/\0]+$/.test(o.name) || o.name === '.' || o.name === '..') throw new BuildError(`eBPF object name ${JSON.stringify(o.name)} must be a plain file name`);
    if (!isBpfElf(o.bytes)) throw new BuildError(`eBPF object ${o.name} for ${o.arch} is not an eBPF ELF object (e_machine is not EM_BPF)`);
    try {
      verifyObjectArch(o, o.bytes);
    } catch (cause) {
      throw new BuildError(`refusing to package ${o.name}: ${(cause as Error).message}`, { cause });
    }
    const key = `${o.arch}/${o.name}`;
    if (seen.has(key)) throw new BuildError(`two eBPF objects named ${o.name} for ${o.arch}`);
    seen.add(key);
  }

  const moduleBlob = blob(MEDIA_TYPE_WASM_MODULE, input.wasm, { [ANNOTATION_TITLE]: `${input.name}.wasm` });
  // Canonical order (architecture as listed in ARCHES, then name) so the order the caller
  // compiled things in never changes the digest.
  const objects = [...input.objects]
    .sort((a, b) => ARCHES.indexOf(a.arch) - ARCHES.indexOf(b.arch) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((o) => blob(MEDIA_TYPE_WASMBPF_OBJECT, o.bytes, { [ANNOTATION_OBJECT_ARCH]: o.arch, [ANNOTATION_OBJECT_NAME]: o.name }));
  // An OCI image config, so containerd's `ctr run` and CRI accept the image; see
  // oci-spec/empty-layer.ts for why every diff_id is the empty layer's.
  const config: ImageConfig = {
    architecture: 'wasm',
    os: 'wasip1',
    ...(input.created ? { created: input.created } : {}),
    config: { Entrypoint: [input.name], Cmd: [...input.args], Env: [...(input.env ?? [])] },
    rootfs: { type: 'layers', diff_ids: [moduleBlob, ...objects].map(() => EMPTY_LAYER_DIFF_ID) },
  };
  const configBlob = blob(MEDIA_TYPE_OCI_CONFIG, json(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: configBlob.descriptor,
    layers: [moduleBlob.descriptor, ...objects.map((o) => o.descriptor)],
    annotations: { [ANNOTATION_TITLE]: input.name, ...(input.created ? { [ANNOTATION_CREATED]: input.created } : {}) },
  };
  const manifestBlob = blob(MEDIA_TYPE_OCI_MANIFEST, json(manifest));
  return { manifest: manifestBlob.descriptor, blobs: [manifestBlob, configBlob, moduleBlob, ...objects] };
}

/** SOURCE_DATE_EPOCH (seconds) as RFC 3339, or undefined; the reproducible-builds convention. */
export function createdFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new BuildError(`SOURCE_DATE_EPOCH must be a number of seconds, got ${JSON.stringify(raw)}`);
  return new Date(Number(raw) * 1000).toISOString().replace('.000Z', 'Z');
}
