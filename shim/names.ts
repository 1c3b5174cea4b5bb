// The names containerd knows this shim by: the runtime type (`ctr run --runtime`, the CRI
// runtime_type), the binary containerd runs for it, and the ttrpc service of the task API it
// serves (and relays to runc's shim for containers that are not Wasm).
export const RUNTIME_TYPE = 'io.containerd.wasmbpf.v1';
/** What containerd looks for on its PATH for RUNTIME_TYPE (its rule: io.containerd.NAME.vN -> containerd-shim-NAME-vN); also the server's process name. */
export const SHIM_BINARY = 'containerd-shim-wasmbpf-v1';
export const TASK_SERVICE = 'containerd.task.v2.Task';
