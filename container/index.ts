// The container layer's surface, what the shim imports: from a container's bundle (its OCI spec
// and rootfs) and containerd's image store to what the runtime runs. This is where wasmbpf's
// knowledge of Wasm and eBPF containers lives (runwasi keeps it in containerd-shim-wasm's
// `container` module): which module a container runs and where it comes from (module-source.ts),
// whether the node lets its image run (image-verification.ts, verify-policy.ts), and what its
// task may do and use (node-policy.ts, process-identity.ts), whether its module can run at all
// (module-check.ts), and what the runtime is given to run it (wasm-container.ts). The shim above
// speaks containerd's protocol and knows none of it.
export { resolveModule, type ModuleLookup, type ResolvedModule } from './module-source.ts';
export { moduleSpec, prepareContainer, type ContainerSettings, type WasmContainer } from './wasm-container.ts';
export type { ContainerImages } from './container-images.ts';
export { ContainerError, ImageRefusedError, ModuleSourceError } from './errors.ts';
