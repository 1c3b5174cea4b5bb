// Every error code of wasmbpf, in one union, so a misspelt code fails type-checking. Users,
// scripts and tests match on these strings (docs name them too): never rename one. A layer's
// codes form their own union, which its error classes narrow to; the shim's status table
// (shim/error-status.ts) must give a ttrpc status to every code of the layers below it.

/** ttrpc/: the transport. */
export type TtrpcErrorCode =
  | 'WASMBPF_TTRPC_STATUS'
  | 'WASMBPF_TTRPC_PROTOCOL'
  | 'WASMBPF_TTRPC_CONNECTION'
  | 'WASMBPF_TTRPC_TIMEOUT';

/** oci-spec/: documents, digests, ELF objects, architectures. */
export type OciErrorCode =
  | 'WASMBPF_OCI_INVALID'
  | 'WASMBPF_OCI_MEDIA_TYPE'
  | 'WASMBPF_DIGEST_MISMATCH'
  | 'WASMBPF_SIZE_MISMATCH'
  | 'WASMBPF_NO_OBJECT_FOR_ARCH'
  | 'WASMBPF_OBJECT_ARCH_MISMATCH'
  | 'WASMBPF_NO_MANIFEST_FOR_PLATFORM'
  | 'WASMBPF_UNSUPPORTED_ARCH'
  | 'WASMBPF_ELF_FORMAT';

/** sdk/: the BTF layout generator and the tool toolchain. */
export type SdkErrorCode =
  | 'WASMBPF_BTF_FORMAT'
  | 'WASMBPF_BTF_STRUCT_MISSING'
  | 'WASMBPF_BTF_LAYOUT'
  | 'WASMBPF_BTF_DECODE'
  | 'WASMBPF_BUILD_FILE'
  | 'WASMBPF_COMPILE'
  | 'WASMBPF_TOOL_MISSING'
  | 'WASMBPF_SCAFFOLD';

/** image/signature/: why an image was refused (one code per refusal reason). */
export type SignatureRefusalCode =
  | 'WASMBPF_SIGNATURE_MISSING'
  | 'WASMBPF_SIGNATURE_WRONG_KEY'
  | 'WASMBPF_SIGNATURE_OTHER_DIGEST'
  | 'WASMBPF_SIGNATURE_OTHER_REPOSITORY'
  | 'WASMBPF_SIGNATURE_MALFORMED'
  | 'WASMBPF_SIGNATURE_UNAVAILABLE';

/** image/registry/: talking to a registry. */
export type RegistryErrorCode =
  | 'WASMBPF_REGISTRY_AUTH'
  | 'WASMBPF_REGISTRY_NOT_FOUND'
  | 'WASMBPF_REGISTRY_HTTP'
  | 'WASMBPF_REGISTRY_UNREACHABLE'
  | 'WASMBPF_REGISTRY_PROTOCOL'
  | 'WASMBPF_REGISTRY_TIMEOUT'
  | 'WASMBPF_REGISTRY_CREDENTIALS';

/** image/: the store, references, tarballs, builds, signing. */
export type ImageErrorCode =
  | RegistryErrorCode
  | SignatureRefusalCode
  | 'WASMBPF_SIGNING_KEY'
  | 'WASMBPF_BAD_TIMEOUT'
  | 'WASMBPF_IMAGE_REFERENCE'
  | 'WASMBPF_IMAGE_NOT_FOUND'
  | 'WASMBPF_BLOB_MISSING'
  | 'WASMBPF_IMAGE_LAYOUT'
  | 'WASMBPF_BUILD'
  | 'WASMBPF_TARGET'
  | 'WASMBPF_STORE_LOCKED'
  | 'WASMBPF_INTERRUPTED'
  | 'WASMBPF_NO_SPACE';

/** runtime/bpf/ and the wasm_bpf host calls: what libbpf, the kernel or the guest's arguments refused. */
export type BpfErrorCode =
  | 'WASMBPF_BPF_OPEN'
  | 'WASMBPF_BPF_LOAD'
  | 'WASMBPF_BPF_AUTOLOAD'
  | 'WASMBPF_BPF_ATTACH'
  | 'WASMBPF_BPF_BADF'
  | 'WASMBPF_BPF_BAD_HANDLE'
  | 'WASMBPF_BPF_BUFFER'
  | 'WASMBPF_BPF_CLOSED'
  | 'WASMBPF_BPF_GLOBALS'
  | 'WASMBPF_BPF_MAP'
  | 'WASMBPF_BPF_MAP_CMD'
  | 'WASMBPF_BPF_MAP_INFO'
  | 'WASMBPF_BPF_NOT_LOADED'
  | 'WASMBPF_BPF_NO_MAP'
  | 'WASMBPF_BPF_NO_PROGRAM'
  | 'WASMBPF_BPF_POLL'
  | 'WASMBPF_BPF_PROG_INFO'
  | 'WASMBPF_ARCH_MISMATCH'
  | 'WASMBPF_SOCKET'
  | 'WASMBPF_NO_TABLE'
  | 'WASMBPF_BAD_CALLBACK'
  | 'WASMBPF_BAD_OPTS';

/** The Wasm side of runtime/: module checks, memory, the guest's stop. */
export type WasmErrorCode =
  | 'WASMBPF_MEMORY_LIMIT'
  | 'WASMBPF_BAD_SIZE'
  | 'WASMBPF_BAD_MODULE'
  | 'WASMBPF_UNKNOWN_IMPORT'
  | 'WASMBPF_GUEST_FAULT'
  | 'WASMBPF_KILLED';

/** runtime/: the module host, libbpf, the eBPF policy. */
export type RuntimeErrorCode =
  | BpfErrorCode
  | WasmErrorCode
  | 'WASMBPF_LIBBPF_MISSING'
  | 'WASMBPF_POLICY'
  | 'WASMBPF_POLICY_CONFIG';

/** shim/ and container/ (once part of the shim, hence the prefix): what went wrong in containerd's terms. */
export type ShimErrorCode =
  | 'WASMBPF_SHIM_NOT_FOUND'
  | 'WASMBPF_SHIM_NOT_SUPPORTED'
  | 'WASMBPF_SHIM_INVALID_ARGUMENT'
  | 'WASMBPF_SHIM_EXISTS'
  | 'WASMBPF_SHIM_MODULE_SOURCE'
  | 'WASMBPF_SHIM_ILLEGAL_TRANSITION'
  | 'WASMBPF_SHIM_CONTENT'
  | 'WASMBPF_SHIM_CONTAINERD_API'
  | 'WASMBPF_SHIM_MOUNT'
  | 'WASMBPF_SHIM_RUNC'
  | 'WASMBPF_SHIM_START'
  | 'WASMBPF_METRICS_ENDPOINT';

/** cli/install/: `wasmbpf install` and `uninstall`. */
export type InstallErrorCode =
  | 'WASMBPF_CONTAINERD_CONFIG_PARSE'
  | 'WASMBPF_CONTAINERD_CONFIG_VERSION'
  | 'WASMBPF_CONTAINERD_CONFIG_CONFLICT'
  | 'WASMBPF_CONTAINERD_CONFIG_EDIT'
  | 'WASMBPF_NODE_CONFIG_PARSE'
  | 'WASMBPF_NODE_CONFIG_EDIT'
  | 'WASMBPF_INSTALL_NOT_BUILT'
  | 'WASMBPF_INSTALL_CONFLICT'
  | 'WASMBPF_INSTALL_IO';

/** cli/: the command line. */
export type CliErrorCode = InstallErrorCode | 'WASMBPF_USAGE' | 'WASMBPF_NO_MODULE';

/** bench/: the benchmark. */
export type BenchErrorCode =
  | 'WASMBPF_BENCH_BUILD'
  | 'WASMBPF_BENCH_LEAK'
  | 'WASMBPF_BENCH_MEMORY'
  | 'WASMBPF_BENCH_MISMATCH'
  | 'WASMBPF_BENCH_OUTPUT'
  | 'WASMBPF_BENCH_ROOT'
  | 'WASMBPF_BENCH_RUN'
  | 'WASMBPF_BENCH_SPAWN'
  | 'WASMBPF_BENCH_USAGE';

/** integration/: the test harness's own failures. */
export type TestHarnessErrorCode = 'WASMBPF_TEST_CRI_CALL' | 'WASMBPF_TEST_PAUSE_IMAGE';

export type ErrorCode =
  | TtrpcErrorCode
  | OciErrorCode
  | SdkErrorCode
  | ImageErrorCode
  | RuntimeErrorCode
  | ShimErrorCode
  | CliErrorCode
  | BenchErrorCode
  | TestHarnessErrorCode;
