// Where a container's module comes from, and whether it is a Wasm container at all.
//  1. The bundle's rootfs (runwasi style): process.args[0] names a file in the mounted rootfs
//     (absolute, relative to process.cwd, or found on the spec's PATH); if it begins with the
//     Wasm magic, it is the module. eBPF objects are then the ones embedded in the module.
//  2. containerd's content store: for artifact images (module and eBPF objects in layers of
//     their own, which no snapshotter unpacks into a rootfs) the shim asks containerd which image
//     the container was made from and reads the module layer and the host's eBPF object layers,
//     with the arch-aware selection of oci-spec.
//  0. First of all, the node's signature policy (image-verification.ts): an image the node wants
//     signed and that is not is refused before either source is read.
//  3. Neither: not a Wasm container (the CRI pause container, a native sidecar): undefined, and
//     the caller hands it to runc.
// process.args is the container's command line: the image's Entrypoint + Cmd, or what the user
// put in their place (`ctr run IMAGE ID ARGS...` replaces both; nerdctl's and a pod's `args:`
// replace Cmd only). As in runwasi, args[0] names the module and the rest are its arguments, so
// an args[0] that names neither a file of the rootfs nor the image's module (`ctr run IMAGE ID
// -u 65534`, which would have dropped `-u` as the module's argv[0]) is refused, naming both.
import fs from 'node:fs';
import path from 'node:path';
import { ANNOTATION_TITLE, isWasmModule, type Arch } from '../oci-spec/index.ts';
import { readImageModule, selectImageModule } from '../image/image-module.ts';
import { loadImage } from '../image/load.ts';
import { isWasmFile } from '../image/wasm-file.ts';
import type { BpfObjectCandidate } from '../runtime/index.ts';
import type { RuntimeSpec } from '../oci-spec/runtime-spec.ts';
import type { ContainerImages } from './container-images.ts';
import { ModuleSourceError } from './errors.ts';
import { enforceImageSignature } from './image-verification.ts';

export interface ResolvedModule {
  wasm: Uint8Array;
  args: string[];
  env: string[];
  bpfObjects: BpfObjectCandidate[];
  /** For the log: where the module came from. */
  origin: string;
  /** The image manifest's annotations (artifact images), for the eBPF policy. */
  annotations?: Record<string, string>;
}

export interface ModuleLookup {
  id: string;
  spec: RuntimeSpec;
  rootfs: string;
  hostArch: Arch;
  /** Opens containerd's API lazily: only artifact images (and images the node wants signed) need it. */
  api: () => ContainerImages;
  /** The node's config file for this Create (shim/node-config.ts nodeConfigPath), for its [verify] table. */
  nodeConfig?: string;
}

export async function resolveModule(lookup: ModuleLookup): Promise<ResolvedModule | undefined> {
  // Before anything of the image is read: a node that wants it signed refuses it unsigned.
  await enforceImageSignature(lookup);
  const args = lookup.spec.process?.args ?? [];
  const env = lookup.spec.process?.env ?? [];
  const entry = args[0];
  if (entry) {
    const file = findInRootfs(lookup.rootfs, entry, lookup.spec.process?.cwd ?? '/', env);
    if (file) {
      const bytes = fs.readFileSync(file);
      if (!isWasmModule(bytes)) return undefined; // a native executable: runc's job
      return { wasm: bytes, args, env, bpfObjects: [], origin: `rootfs file ${entry}` };
    }
  }
  const fromImage = await resolveFromImage(lookup, args, env);
  if (fromImage) return fromImage;
  if (entry && entry.endsWith('.wasm')) {
    throw new ModuleSourceError(`module ${entry} (process.args[0]) is neither in the container's rootfs nor a Wasm layer of its image`);
  }
  return undefined;
}

async function resolveFromImage(lookup: ModuleLookup, args: string[], env: string[]): Promise<ResolvedModule | undefined> {
  const api = lookup.api();
  const name = await api.containerImage(lookup.id);
  if (!name) return undefined;
  try {
    const target = await api.imageTarget(name);
    const image = await loadImage(api, name, target, lookup.hostArch);
    const selected = selectImageModule(image, lookup.hostArch);
    const { selection, argv: imageArgs } = selected;
    if (!selection.module) {
      if (selection.kind === 'rootfs') {
        // An ordinary image: the rootfs check above decided, unless the image is a Wasm one whose
        // module the command line does not name (it would go to runc, which finds nothing to run).
        refuseUnnamedRootfsModule(lookup, name, args[0], imageArgs[0]);
        return undefined;
      }
      throw new ModuleSourceError(`image ${name} has no Wasm module layer`);
    }
    const moduleName = imageArgs[0] ?? selection.module.annotations?.[ANNOTATION_TITLE];
    if (args.length > 0 && moduleName !== undefined && !namesModule(args[0]!, moduleName)) {
      throw new ModuleSourceError(`process.args[0] ${JSON.stringify(args[0])} does not name the module of image ${name}, ${JSON.stringify(moduleName)}: ${ARGS_RULE}, e.g. \`ctr run ${name} ID ${moduleName} ARGS...\``);
    }
    const { wasm, bpfObjects } = await readImageModule(selected, 'host');
    if (!isWasmModule(wasm)) throw new ModuleSourceError(`the module layer of ${name} is not a Wasm module (bad magic)`);
    return {
      wasm,
      args: args.length > 0 ? args : imageArgs,
      env,
      bpfObjects,
      origin: `image ${name} (${selection.hostObjects.length} eBPF object(s) for ${lookup.hostArch})`,
      ...(image.manifest.annotations ? { annotations: image.manifest.annotations } : {}),
    };
  } catch (error) {
    if (error instanceof ModuleSourceError) throw error;
    throw new ModuleSourceError(`image ${name}: ${(error as Error).message}`, { cause: error });
  }
}

const ARGS_RULE = 'the command line\'s first word names the module and the rest are its arguments (`ctr run IMAGE ID MODULE ARGS...`; nerdctl and a pod\'s `args:` keep the image\'s Entrypoint and replace only its Cmd)';

/** Whether a command line's first word names the module an artifact image calls `name` (its Entrypoint): as is, by base name, with or without `.wasm`. */
export function namesModule(word: string, name: string): boolean {
  const norm = (s: string) => path.posix.basename(s).replace(/\.wasm$/, '');
  return word !== '' && norm(word) === norm(name);
}

/** An image whose own command line runs a Wasm file of its rootfs, started with a first word that names no file there. */
function refuseUnnamedRootfsModule(lookup: ModuleLookup, image: string, word: string | undefined, imageEntry: string | undefined): void {
  if (!word || !imageEntry || word === imageEntry) return;
  const file = findInRootfs(lookup.rootfs, imageEntry, lookup.spec.process?.cwd ?? '/', lookup.spec.process?.env ?? []);
  if (!file || !isWasmFile(file)) return;
  const what = word.endsWith('.wasm')
    ? `module ${word} (process.args[0]) is neither in the container's rootfs nor a Wasm layer of its image`
    : `process.args[0] ${JSON.stringify(word)} names no file in the container's rootfs`;
  throw new ModuleSourceError(`${what}; the module of image ${image} is ${imageEntry}: ${ARGS_RULE}, e.g. \`ctr run ${image} ID ${imageEntry} ARGS...\``);
}

/**
 * Resolves a command inside the rootfs without following symlinks out of it: an absolute link
 * target is taken relative to the rootfs, like the container would see it.
 */
export function findInRootfs(rootfs: string, command: string, cwd: string, env: string[]): string | undefined {
  const candidates: string[] = [];
  if (command.includes('/')) {
    candidates.push(path.posix.resolve(cwd, command));
  } else {
    const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
    candidates.push(path.posix.join(cwd, command), ...pathVar.split(':').filter(Boolean).map((dir) => path.posix.join(dir, command)));
  }
  for (const candidate of candidates) {
    const host = resolveInside(rootfs, candidate);
    if (host && fs.statSync(host, { throwIfNoEntry: false })?.isFile()) return host;
  }
  return undefined;
}

function resolveInside(rootfs: string, guestPath: string, depth = 0): string | undefined {
  if (depth > 40) return undefined;
  const parts = guestPath.split('/').filter((p) => p && p !== '.');
  let resolved: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = path.join(rootfs, ...resolved, part);
    const stat = fs.lstatSync(host, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (stat.isSymbolicLink()) {
      const link = fs.readlinkSync(host);
      const rest = parts.slice(i + 1).join('/');
      const next = link.startsWith('/') ? link : `/${[...resolved, link].join('/')}`;
      return resolveInside(rootfs, rest ? `${next}/${rest}` : next, depth + 1);
    }
    resolved = [...resolved, part];
  }
  return path.join(rootfs, ...resolved);
}
