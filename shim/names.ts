// The names containerd knows this shim by: the runtime type (`ctr run --runtime`, the CRI
// runtime_type; containerd turns it into the binary name containerd-shim-wasmbpf-v1) and the ttrpc
// service of the task API it serves (and relays to runc's shim for containers that are not Wasm).
export const RUNTIME_TYPE = 'io.containerd.wasmbpf.v1';
export const TASK_SERVICE = 'containerd.task.v2.Task';
