// From what the user typed to the bytes the runtime runs: resolveRunnable turns an image
// reference (pulled when it is not in the local store), an OCI layout tarball or directory, or a
// bare module into a Runnable. For images, the arch-aware selection (image-module.ts, the path
// the shim takes too) runs before the module does, so an image whose eBPF objects are all for
// other CPUs fails now, with WASMBPF_NO_OBJECT_FOR_ARCH naming the host and the image's
// architectures, instead of inside the kernel. Objects of every architecture are returned (each
// checked against its .wasmbpf.arch marker); the runtime loads the host's and refuses the rest.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { hostArch, ANNOTATION_TITLE, type Arch } from '../oci-spec/index.ts';
import { ImageNotFoundError, TargetError, notInLocalStore } from './errors.ts';
import { ImageLayout } from './layout-tarball.ts';
import { readImageModule, selectImageModule } from './image-module.ts';
import { loadImage, type LoadedImage } from './load.ts';
import { bareModule, type Runnable } from './runnable.ts';
import { familiarName, formatReference, parseReference } from './reference.ts';
import { ImageStore } from './store.ts';
import { classifyTarget } from './target.ts';
import type { VerificationKey } from './signature/key-files.ts';

export interface ResolveOptions {
  home?: string;
  hostArch?: Arch;
  insecure?: boolean;
  /** Pull a reference that is not in the store (default true). */
  pull?: boolean;
  /**
   * Run only an image signed by one of these keys: a reference is then always pulled (blobs
   * already stored are not fetched again), so the signature checked is the one of the digest the
   * registry serves now, and the copy run is that digest. Files (tarballs, modules) cannot be
   * verified: they carry no signature.
   */
  verifyKeys?: readonly VerificationKey[];
}

/** Opens an image target (reference or layout) as a LoadedImage; bare modules are not images. */
export async function openImage(target: string, options: ResolveOptions = {}): Promise<LoadedImage> {
  const machine = options.hostArch ?? hostArch();
  const kind = await classifyTarget(target);
  if (kind.kind === 'module') throw new TargetError(`${target} is a bare Wasm module, not an image`);
  if (kind.kind === 'layout' && options.verifyKeys) throw unverifiable(target);
  if (kind.kind === 'layout') {
    const layout = await ImageLayout.open(kind.path);
    const image = layout.select();
    return loadImage(layout, image.name, image.descriptor, machine);
  }
  const name = formatReference(parseReference(kind.reference));
  const store = ImageStore.open(options.home);
  let root = options.verifyKeys ? undefined : await store.resolve(name);
  if (!root) {
    if (options.pull === false) throw new ImageNotFoundError(`${familiarName(name)} is not in the local store (${store.root})`);
    const { pullImage } = await import('./pull.ts');
    try {
      root = (await pullImage(name, { ...options, hostArch: machine })).descriptor;
    } catch (err) {
      if (options.verifyKeys) throw err; // the store was not looked at: a verified run always pulls
      throw notInLocalStore(err, familiarName(name), store.root);
    }
  }
  return loadImage(store, name, root, machine);
}

export async function resolveRunnable(target: string, options: ResolveOptions = {}): Promise<Runnable> {
  const kind = await classifyTarget(target);
  if (kind.kind === 'module' && options.verifyKeys) throw unverifiable(target);
  if (kind.kind === 'module') return bareModule(kind.path, await readFile(kind.path));
  const machine = options.hostArch ?? hostArch();
  const image = await openImage(target, { ...options, hostArch: machine });
  return runnableFromImage(image, machine);
}

/** The Runnable of a loaded image; throws NoObjectForArchError before reading any layer. */
export async function runnableFromImage(image: LoadedImage, hostArch: Arch): Promise<Runnable> {
  const selected = selectImageModule(image, hostArch);
  const { wasm, bpfObjects } = await readImageModule(selected, 'every');
  const argv = selected.argv;
  const fallbackName = image.manifest.annotations?.[ANNOTATION_TITLE] ?? (argv[0] ? basename(argv[0]).replace(/\.wasm$/, '') : undefined) ?? imageBaseName(image.name);
  return {
    name: fallbackName,
    wasm,
    args: argv.length > 0 ? argv : [fallbackName],
    env: [...(image.config.config?.Env ?? [])],
    bpfObjects,
  };
}

function unverifiable(target: string): TargetError {
  return new TargetError(`${target} is a file: signatures are verified for image references in a registry (push it, sign it, run the reference)`);
}

function imageBaseName(name: string): string {
  try {
    const ref = parseReference(name);
    return ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
  } catch {
    return name;
  }
}
