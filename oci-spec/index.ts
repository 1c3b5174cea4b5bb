// The public surface of oci-spec: pure data and validation for OCI images, no I/O. The shim
// imports from here (not from the files behind it) to read images from containerd's content
// store; keep these exports stable.
//
//   parseImageDocument / parseManifest / parseIndex / parseImageConfig   bytes -> typed, or OciFormatError
//   verifyBlob / DigestVerifier                                            size + digest, or Size/DigestMismatchError
//   selectManifest(index, hostArch)                                        which manifest of an index to run
//   selectForHost(manifest, hostArch)                                      module + host's eBPF objects, or NoObjectForArchError
//   verifyObjectArch(objectLayer, bytes)                                   the object's .wasmbpf.arch marker agrees with its layer
//   commandLine(config)                                                    Entrypoint ++ Cmd
export * from './arch.ts';
export * from './annotations.ts';
export * from './cosign.ts';
export * from './digest.ts';
export * from './empty-layer.ts';
export * from './ebpf-object.ts';
export * from './errors.ts';
export * from './media-types.ts';
export * from './select.ts';
export type * from './types.ts';
export type * from './runtime-spec.ts';
export * from './validate.ts';
export * from './wasm-magic.ts';
