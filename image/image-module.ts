// The one path from a loaded image to what the runtime runs, shared by `wasmbpf run`
// (resolve.ts: a reference, tarball or layout) and the containerd shim (container/module-source.ts:
// containerd's content store): the arch-aware selection of its layers, then the module (its
// module layer, or for an ordinary image the file of its rootfs layers its command line names)
// and its eBPF objects, each read against its descriptor and checked against its .wasmbpf.arch
// marker.
import { commandLine, selectForHost, verifyObjectArch, type Arch, type HostSelection } from '../oci-spec/index.ts';
import type { BpfObjectCandidate } from '../runtime/index.ts';
import { TargetError } from './errors.ts';
import type { LoadedImage } from './load.ts';

export interface ImageModule {
  image: LoadedImage;
  /** Which layers run on the host: the module layer (none: an ordinary image), the objects. */
  selection: HostSelection;
  /** The config's Entrypoint ++ Cmd. */
  argv: string[];
}

/** Picks the layers for hostArch without reading any: NoObjectForArchError when the image has objects but none for it. */
export function selectImageModule(image: LoadedImage, hostArch: Arch): ImageModule {
  return { image, selection: selectForHost(image.manifest, hostArch, `manifest of ${image.name}`), argv: commandLine(image.config) };
}

/**
 * Reads the module and the eBPF objects: the host's objects, or every architecture's (the
 * runtime loads the host's and refuses the rest, naming what the image has).
 */
export async function readImageModule(selected: ImageModule, objects: 'host' | 'every'): Promise<{ wasm: Uint8Array; bpfObjects: BpfObjectCandidate[] }> {
  const { image, selection, argv } = selected;
  let wasm: Uint8Array;
  if (selection.module) {
    wasm = await image.source.read(selection.module, `module layer of ${image.name}`);
  } else {
    const entry = argv[0];
    if (!entry) throw new TargetError(`${image.name} is an ordinary image with no Entrypoint or Cmd naming its .wasm file`);
    // The tar reader on first use: the shim's server imports this file at boot, and most images
    // carry their module as a layer of its own.
    const { readRootfsFile } = await import('./rootfs.ts');
    wasm = await readRootfsFile(image.source, selection.rootfs, entry, image.config.config?.WorkingDir ?? '/');
  }
  const bpfObjects: BpfObjectCandidate[] = [];
  for (const object of objects === 'host' ? selection.hostObjects : selection.objects) {
    const bytes = await image.source.read(object.descriptor, `eBPF object ${object.name} (${object.arch}) of ${image.name}`);
    verifyObjectArch(object, bytes);
    bpfObjects.push({ arch: object.arch, name: object.name, bytes });
  }
  return { wasm, bpfObjects };
}
