// The one place where an error becomes a ttrpc status. containerd maps the status code back to
// its errdefs (NotFound -> ErrNotFound, ...) and callers like ctr and the CRI plugin branch on
// those, so the mapping matters: e.g. Kill of an exited task must be NotFound for containerd to
// treat it as done. The status follows from the error's code alone, by the table below, which
// must name every code the shim can meet (the type says so); every error keeps its message.
import { WasmbpfError, type BenchErrorCode, type CliErrorCode, type ErrorCode, type TestHarnessErrorCode } from '../errors/index.ts';
import { Status, TtrpcError, type StatusCode } from '../ttrpc/index.ts';

/**
 * The codes an error reaching a Task RPC's answer can have: the shim's and those of the layers
 * it imports, not the CLI's, the benchmark's or the tests'. WASMBPF_TTRPC_STATUS is not here
 * either: a TtrpcError (a status the runc shim answered) is relayed with its own status.
 */
export type ShimVisibleCode = Exclude<ErrorCode, CliErrorCode | BenchErrorCode | TestHarnessErrorCode | 'WASMBPF_TTRPC_STATUS'>;

/** Below the shim, an error means the request named something unusable (an image, module or object). */
const UNUSABLE = Status.FailedPrecondition;

export const STATUS_OF_CODE: Record<ShimVisibleCode, StatusCode> = {
  // shim/ and container/
  WASMBPF_SHIM_NOT_FOUND: Status.NotFound,
  WASMBPF_SHIM_NOT_SUPPORTED: Status.Unimplemented,
  WASMBPF_SHIM_INVALID_ARGUMENT: Status.InvalidArgument,
  WASMBPF_SHIM_EXISTS: Status.AlreadyExists,
  WASMBPF_SHIM_MODULE_SOURCE: Status.FailedPrecondition,
  WASMBPF_SHIM_ILLEGAL_TRANSITION: Status.FailedPrecondition,
  WASMBPF_SHIM_CONTENT: Status.FailedPrecondition,
  WASMBPF_SHIM_CONTAINERD_API: Status.Unavailable,
  WASMBPF_SHIM_MOUNT: Status.Internal,
  WASMBPF_SHIM_RUNC: Status.Internal,
  WASMBPF_SHIM_START: Status.Internal,
  WASMBPF_METRICS_ENDPOINT: Status.FailedPrecondition,
  // ttrpc/: a call this shim made (to a runc shim) failed on the way.
  WASMBPF_TTRPC_PROTOCOL: Status.Internal,
  WASMBPF_TTRPC_CONNECTION: Status.Unavailable,
  WASMBPF_TTRPC_TIMEOUT: Status.DeadlineExceeded,
  // oci-spec/
  WASMBPF_OCI_INVALID: UNUSABLE,
  WASMBPF_OCI_MEDIA_TYPE: UNUSABLE,
  WASMBPF_DIGEST_MISMATCH: UNUSABLE,
  WASMBPF_SIZE_MISMATCH: UNUSABLE,
  WASMBPF_NO_OBJECT_FOR_ARCH: UNUSABLE,
  WASMBPF_OBJECT_ARCH_MISMATCH: UNUSABLE,
  WASMBPF_NO_MANIFEST_FOR_PLATFORM: UNUSABLE,
  WASMBPF_UNSUPPORTED_ARCH: UNUSABLE,
  WASMBPF_ELF_FORMAT: UNUSABLE,
  // sdk/
  WASMBPF_BTF_FORMAT: UNUSABLE,
  WASMBPF_BTF_STRUCT_MISSING: UNUSABLE,
  WASMBPF_BTF_LAYOUT: UNUSABLE,
  WASMBPF_BTF_DECODE: UNUSABLE,
  WASMBPF_BUILD_FILE: UNUSABLE,
  WASMBPF_COMPILE: UNUSABLE,
  WASMBPF_TOOL_MISSING: UNUSABLE,
  WASMBPF_SCAFFOLD: UNUSABLE,
  // image/ (a refused signature included: the node's [verify] policy fails closed)
  WASMBPF_SIGNATURE_MISSING: UNUSABLE,
  WASMBPF_SIGNATURE_WRONG_KEY: UNUSABLE,
  WASMBPF_SIGNATURE_OTHER_DIGEST: UNUSABLE,
  WASMBPF_SIGNATURE_OTHER_REPOSITORY: UNUSABLE,
  WASMBPF_SIGNATURE_MALFORMED: UNUSABLE,
  WASMBPF_SIGNATURE_UNAVAILABLE: UNUSABLE,
  WASMBPF_SIGNING_KEY: UNUSABLE,
  WASMBPF_REGISTRY_AUTH: UNUSABLE,
  WASMBPF_REGISTRY_NOT_FOUND: UNUSABLE,
  WASMBPF_REGISTRY_HTTP: UNUSABLE,
  WASMBPF_REGISTRY_UNREACHABLE: UNUSABLE,
  WASMBPF_REGISTRY_PROTOCOL: UNUSABLE,
  WASMBPF_REGISTRY_TIMEOUT: UNUSABLE,
  WASMBPF_REGISTRY_CREDENTIALS: UNUSABLE,
  WASMBPF_BAD_TIMEOUT: UNUSABLE,
  WASMBPF_IMAGE_REFERENCE: UNUSABLE,
  WASMBPF_IMAGE_NOT_FOUND: UNUSABLE,
  WASMBPF_BLOB_MISSING: UNUSABLE,
  WASMBPF_IMAGE_LAYOUT: UNUSABLE,
  WASMBPF_BUILD: UNUSABLE,
  WASMBPF_TARGET: UNUSABLE,
  WASMBPF_STORE_LOCKED: UNUSABLE,
  WASMBPF_INTERRUPTED: UNUSABLE,
  WASMBPF_NO_SPACE: UNUSABLE,
  // runtime/
  WASMBPF_BPF_OPEN: UNUSABLE,
  WASMBPF_BPF_LOAD: UNUSABLE,
  WASMBPF_BPF_AUTOLOAD: UNUSABLE,
  WASMBPF_BPF_ATTACH: UNUSABLE,
  WASMBPF_BPF_BADF: UNUSABLE,
  WASMBPF_BPF_BAD_HANDLE: UNUSABLE,
  WASMBPF_BPF_BUFFER: UNUSABLE,
  WASMBPF_BPF_CLOSED: UNUSABLE,
  WASMBPF_BPF_GLOBALS: UNUSABLE,
  WASMBPF_BPF_MAP: UNUSABLE,
  WASMBPF_BPF_MAP_CMD: UNUSABLE,
  WASMBPF_BPF_MAP_INFO: UNUSABLE,
  WASMBPF_BPF_NOT_LOADED: UNUSABLE,
  WASMBPF_BPF_NO_MAP: UNUSABLE,
  WASMBPF_BPF_NO_PROGRAM: UNUSABLE,
  WASMBPF_BPF_POLL: UNUSABLE,
  WASMBPF_BPF_PROG_INFO: UNUSABLE,
  WASMBPF_ARCH_MISMATCH: UNUSABLE,
  WASMBPF_SOCKET: UNUSABLE,
  WASMBPF_NO_TABLE: UNUSABLE,
  WASMBPF_BAD_CALLBACK: UNUSABLE,
  WASMBPF_BAD_OPTS: UNUSABLE,
  WASMBPF_MEMORY_LIMIT: UNUSABLE,
  WASMBPF_BAD_SIZE: UNUSABLE,
  WASMBPF_BAD_MODULE: UNUSABLE,
  WASMBPF_UNKNOWN_IMPORT: UNUSABLE,
  WASMBPF_GUEST_FAULT: UNUSABLE,
  WASMBPF_KILLED: UNUSABLE,
  WASMBPF_LIBBPF_MISSING: UNUSABLE,
  WASMBPF_POLICY: UNUSABLE,
  WASMBPF_POLICY_CONFIG: UNUSABLE,
};

function isShimVisible(code: ErrorCode): code is ShimVisibleCode {
  return Object.hasOwn(STATUS_OF_CODE, code);
}

/** Errors of no wasmbpf layer (a bug, a Node error) are Unknown, as gRPC has it. */
function statusOf(error: unknown): StatusCode {
  return error instanceof WasmbpfError && isShimVisible(error.code) ? STATUS_OF_CODE[error.code] : Status.Unknown;
}

export function toTtrpcError(error: unknown): TtrpcError {
  if (error instanceof TtrpcError) return error; // e.g. relayed as is from the runc shim
  return new TtrpcError(statusOf(error), error instanceof Error ? error.message : String(error), { cause: error });
}
