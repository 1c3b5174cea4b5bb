// The container layer's surface, what the shim imports: from a container's bundle (its OCI spec
// and rootfs) and containerd's image store to what the runtime runs. This is where wasmbpf's
// knowledge of Wasm and eBPF containers lives (runwasi keeps it in containerd-shim-wasm's
// `container` module): which module a container runs and where it comes from (module-source.ts),
// whether the node lets its image run (image-verification.ts, verify-policy.ts), and what its
// task may do and use (node-policy.ts, process-identity.ts), and whether its module can run at
// all (module-check.ts). The shim above speaks containerd's protocol and knows none of it.
export { resolveModule, type ModuleLookup, type ResolvedModule } from './module-source.ts';
export { taskLimits, type TaskLimits } from './node-policy.ts';
export { checkModule } from './module-check.ts';
export type { ContainerImages } from './container-images.ts';
export { ContainerError, ImageRefusedError, ModuleSourceError } from './errors.ts';
