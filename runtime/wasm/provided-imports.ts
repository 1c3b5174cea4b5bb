// What the runtime gives a module to import, by import module and name, known without loading
// the host (koffi, libbpf): checked when the module is compiled (module-cache.ts), so a module
// importing something else fails there, in the shim at Create, with the import named, and not
// at instantiation with V8's `Import #0 "x": module is not an object or function`.
// wasm-bpf-host.ts's imports() and this list must agree; test/system/runtime-imports.test.ts
// compares them.
import { WasmbpfError } from '../../errors/index.ts';
/** Host modules of wasm-bpf-host.ts, with their functions. */
export const HOST_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  wasm_bpf: [
    'wasm_load_bpf_object', 'wasm_attach_bpf_program', 'wasm_bpf_buffer_poll', 'wasm_bpf_map_fd_by_name',
    'wasm_bpf_map_operate', 'wasm_close_bpf_object',
  ],
  'callback-wrapper': ['wasm_bpf_buffer_poll'],
  wasmbpf_v1: [
    'open_object', 'set_autoload', 'load_object', 'attach', 'open_raw_socket', 'num_possible_cpus', 'global_data',
    'last_error', 'buffer_poll',
  ],
};

export const WASI_MODULE = 'wasi_snapshot_preview1';
/** node:wasi's preview1 functions (GuestWasi wraps them all; the same test compares the lists). */
export const WASI_FUNCTIONS: readonly string[] = [
  'args_get', 'args_sizes_get', 'clock_res_get', 'clock_time_get', 'environ_get', 'environ_sizes_get', 'fd_advise',
  'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_fdstat_set_rights',
  'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_prestat_get',
  'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek', 'fd_sync', 'fd_tell',
  'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open',
  'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file', 'poll_oneoff',
  'proc_exit', 'proc_raise', 'random_get', 'sched_yield', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
];

let provided: Map<string, Set<string>> | undefined;

/** Every import module the runtime provides, with its function names. */
export function providedImports(): ReadonlyMap<string, ReadonlySet<string>> {
  if (!provided) {
    provided = new Map([[WASI_MODULE, new Set(WASI_FUNCTIONS)], ...Object.entries(HOST_IMPORTS).map(([module, names]) => [module, new Set(names)] as const)]);
  }
  return provided;
}

export class UnknownImportError extends WasmbpfError {
  readonly code = 'WASMBPF_UNKNOWN_IMPORT';
}

/**
 * Throws UnknownImportError naming the module's first import the runtime does not provide (all
 * of them are functions), and the import modules it does provide.
 */
export function checkImports(module: WebAssembly.Module): void {
  const known = providedImports();
  const missing = WebAssembly.Module.imports(module).filter((i) => i.kind !== 'function' || !known.get(i.module)?.has(i.name));
  if (missing.length === 0) return;
  const first = missing[0]!;
  const what = first.kind === 'function' ? 'function' : first.kind;
  const more = missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 6).map((i) => `${i.module}.${i.name}`).join(', ')}${missing.length > 6 ? ', ...' : ''})` : '';
  const why = known.has(first.module)
    ? `the runtime's ${first.module} has no ${what} ${JSON.stringify(first.name)}`
    : `the runtime does not provide an import module ${JSON.stringify(first.module)}`;
  throw new UnknownImportError(`the module imports ${what} ${first.module}.${first.name}, which wasmbpf does not provide: ${why}${more}; it provides the import modules ${[...known.keys()].join(', ')}`);
}
