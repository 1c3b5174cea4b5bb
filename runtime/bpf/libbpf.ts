// The libbpf.so.1 and libc bindings, declared once through koffi. This is the only file that
// names C symbols; everything above it speaks in objects (bpf-object.ts, event-buffer.ts).
//
// Conventions that hold for every function here (libbpf 1.x "strict" mode): pointer-returning
// functions return NULL and set errno on failure; int-returning ones return a negative errno.
// Guest memory is passed as Uint8Array views of the Wasm memory (koffi passes their backing
// store without copying).
import koffi from 'koffi';
import { loadLibbpf } from './libbpf-load.ts';
import { BpfError } from './errors.ts';

export type Pointer = unknown;

const libbpf = loadLibbpf(); // a clear error naming libbpf and how to install it when missing
const libc = koffi.load('libc.so.6');

// Opaque handles: koffi keeps them as external pointers.
koffi.pointer('bpf_object_t', koffi.opaque('bpf_object'));
koffi.pointer('bpf_program_t', koffi.opaque('bpf_program'));
koffi.pointer('bpf_map_t', koffi.opaque('bpf_map'));
koffi.pointer('bpf_link_t', koffi.opaque('bpf_link'));
koffi.pointer('perf_buffer_t', koffi.opaque('perf_buffer'));

export const PerfSampleFn = koffi.proto('void perf_buffer_sample_fn(void *ctx, int cpu, void *data, uint32_t size)');
export const PerfLostFn = koffi.proto('void perf_buffer_lost_fn(void *ctx, int cpu, uint64_t cnt)');
export const PrintFn = koffi.proto('int libbpf_print_fn(int level, const char *fmt, void *args)');

export const UprobeOpts = koffi.struct('bpf_uprobe_opts', {
  sz: 'size_t',
  ref_ctr_offset: 'size_t',
  bpf_cookie: 'uint64_t',
  retprobe: 'bool',
  func_name: 'const char *',
});

/** libbpf 1.1's bpf_kprobe_opts (later versions add attach_mode after retprobe; sz says it is absent). */
export const KprobeOpts = koffi.struct('bpf_kprobe_opts', {
  sz: 'size_t',
  bpf_cookie: 'uint64_t',
  offset: 'size_t',
  retprobe: 'bool',
});

/** bpf_link_create_opts up to flags: sz 16 (libbpf reads the fields past sz as 0). */
export const LinkCreateOpts = koffi.struct('bpf_link_create_opts', {
  sz: 'size_t',
  flags: 'uint32_t',
});

export const TcHook = koffi.struct('bpf_tc_hook', {
  sz: 'size_t',
  ifindex: 'int',
  attach_point: 'int',
  parent: 'uint32_t',
});

export const TcOpts = koffi.struct('bpf_tc_opts', {
  sz: 'size_t',
  prog_fd: 'int',
  flags: 'uint32_t',
  prog_id: 'uint32_t',
  handle: 'uint32_t',
  priority: 'uint32_t',
});

/** libbpf 1.1's bpf_object_open_opts up to btf_custom_path (sz says how far; the rest reads as 0). */
export const ObjectOpenOpts = koffi.struct('bpf_object_open_opts', {
  sz: 'size_t',
  object_name: 'const char *',
  relaxed_maps: 'bool',
  pin_root_path: 'const char *',
  _unused_attach_prog_fd: 'uint32_t',
  kconfig: 'const char *',
  btf_custom_path: 'const char *',
});

export const lib = {
  set_print: libbpf.func('void *libbpf_set_print(libbpf_print_fn *fn)'),
  num_possible_cpus: libbpf.func('int libbpf_num_possible_cpus()'),

  object_open_mem: libbpf.func('bpf_object_t bpf_object__open_mem(const void *buf, size_t size, void *opts)'),
  object_open_mem_opts: libbpf.func('bpf_object_t bpf_object__open_mem(const void *buf, size_t size, const bpf_object_open_opts *opts)'),
  object_load: libbpf.func('int bpf_object__load(bpf_object_t obj)'),
  object_close: libbpf.func('void bpf_object__close(bpf_object_t obj)'),
  object_next_program: libbpf.func('bpf_program_t bpf_object__next_program(bpf_object_t obj, bpf_program_t prev)'),
  object_next_map: libbpf.func('bpf_map_t bpf_object__next_map(bpf_object_t obj, bpf_map_t prev)'),
  object_find_program: libbpf.func('bpf_program_t bpf_object__find_program_by_name(bpf_object_t obj, const char *name)'),

  program_name: libbpf.func('const char *bpf_program__name(bpf_program_t prog)'),
  program_section: libbpf.func('const char *bpf_program__section_name(bpf_program_t prog)'),
  program_fd: libbpf.func('int bpf_program__fd(bpf_program_t prog)'),
  program_autoload: libbpf.func('bool bpf_program__autoload(bpf_program_t prog)'),
  program_set_autoload: libbpf.func('int bpf_program__set_autoload(bpf_program_t prog, bool autoload)'),
  program_attach: libbpf.func('bpf_link_t bpf_program__attach(bpf_program_t prog)'),
  program_attach_xdp: libbpf.func('bpf_link_t bpf_program__attach_xdp(bpf_program_t prog, int ifindex)'),
  program_attach_cgroup: libbpf.func('bpf_link_t bpf_program__attach_cgroup(bpf_program_t prog, int cgroup_fd)'),
  program_attach_uprobe: libbpf.func('bpf_link_t bpf_program__attach_uprobe_opts(bpf_program_t prog, int pid, const char *binary_path, size_t func_offset, const bpf_uprobe_opts *opts)'),
  program_attach_kprobe: libbpf.func('bpf_link_t bpf_program__attach_kprobe(bpf_program_t prog, bool retprobe, const char *func_name)'),
  program_attach_kprobe_opts: libbpf.func('bpf_link_t bpf_program__attach_kprobe_opts(bpf_program_t prog, const char *func_name, const bpf_kprobe_opts *opts)'),
  program_attach_tracepoint: libbpf.func('bpf_link_t bpf_program__attach_tracepoint(bpf_program_t prog, const char *category, const char *name)'),
  link_destroy: libbpf.func('int bpf_link__destroy(bpf_link_t link)'),

  map_name: libbpf.func('const char *bpf_map__name(bpf_map_t map)'),
  map_fd: libbpf.func('int bpf_map__fd(bpf_map_t map)'),
  map_type: libbpf.func('int bpf_map__type(bpf_map_t map)'),
  map_key_size: libbpf.func('uint32_t bpf_map__key_size(bpf_map_t map)'),
  map_value_size: libbpf.func('uint32_t bpf_map__value_size(bpf_map_t map)'),

  map_lookup: libbpf.func('int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, uint64_t flags)'),
  map_update: libbpf.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),

  tc_hook_create: libbpf.func('int bpf_tc_hook_create(bpf_tc_hook *hook)'),
  tc_hook_destroy: libbpf.func('int bpf_tc_hook_destroy(bpf_tc_hook *hook)'),
  tc_attach: libbpf.func('int bpf_tc_attach(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)'),
  tc_detach: libbpf.func('int bpf_tc_detach(const bpf_tc_hook *hook, const bpf_tc_opts *opts)'),
  tc_query: libbpf.func('int bpf_tc_query(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)'),
  /** tcx links and XDP links with mode flags: libbpf 1.1 has no attach_tcx nor an attach_xdp taking flags; its link_create passes the attach type through. */
  link_create: libbpf.func('int bpf_link_create(int prog_fd, int target_fd, int attach_type, const bpf_link_create_opts *opts)'),

  perf_buffer_new: libbpf.func('perf_buffer_t perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn *sample_cb, perf_buffer_lost_fn *lost_cb, void *ctx, void *opts)'),
  perf_buffer_free: libbpf.func('void perf_buffer__free(perf_buffer_t pb)'),
  perf_buffer_buffer_fd: libbpf.func('int perf_buffer__buffer_fd(const perf_buffer_t pb, size_t buf_idx)'),
  perf_buffer_buffer_cnt: libbpf.func('size_t perf_buffer__buffer_cnt(const perf_buffer_t pb)'),
  perf_buffer_buffer: libbpf.func('int perf_buffer__buffer(perf_buffer_t pb, int buf_idx, _Out_ void **buf, _Out_ size_t *buf_size)'),
  obj_get_info_by_fd: libbpf.func('int bpf_obj_get_info_by_fd(int fd, void *info, _Inout_ uint32_t *info_len)'),
  // Observability (bpf-info.ts, bpf-stats.ts): a program by its kernel id, and BPF_ENABLE_STATS.
  prog_get_fd_by_id: libbpf.func('int bpf_prog_get_fd_by_id(uint32_t id)'),
  enable_stats: libbpf.func('int bpf_enable_stats(int type)'),
};

export const libcFns = {
  vsnprintf: libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t n, const char *fmt, void *args)'),
  if_nametoindex: libc.func('unsigned int if_nametoindex(const char *ifname)'),
  socket: libc.func('int socket(int domain, int type, int protocol)'),
  bind: libc.func('int bind(int fd, const void *addr, uint32_t len)'),
  setsockopt: libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
  close: libc.func('int close(int fd)'),
  getpagesize: libc.func('int getpagesize()'),
};

/** Shared memory with the kernel: the ring buffer's pages, and waiting on buffer fds. */
export const libcMem = {
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t offset)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  // struct pollfd / epoll_event buffers are passed as bytes; only the return value is read.
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
  epoll_wait: libc.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
  epoll_create1: libc.func('int epoll_create1(int flags)'),
  epoll_ctl: libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)'),
};

/** The kernel's facts about a map fd (struct bpf_map_info's first fields). */
export function mapInfoByFd(fd: number): { type: number; keySize: number; valueSize: number; maxEntries: number } {
  const info = Buffer.alloc(24);
  const len = [info.length];
  const r = lib.obj_get_info_by_fd(fd, info, len) as number;
  if (r < 0) throw new BpfError('WASMBPF_BPF_MAP_INFO', `cannot read the facts of map fd ${fd}`, -r);
  return { type: info.readUInt32LE(0), keySize: info.readUInt32LE(8), valueSize: info.readUInt32LE(12), maxEntries: info.readUInt32LE(16) };
}

/** errno of the last failed call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

export function isNull(p: Pointer): boolean {
  return p === null || p === undefined;
}

export { koffi };

/**
 * Hot paths with raw guest addresses (the Wasm memory's base + a bounds-checked offset), which
 * skip making a typed-array view per call (DESIGN.md section 8: 1.20x native instead of 1.65x).
 */
export const libRaw = {
  map_lookup: libbpf.func('int bpf_map_lookup_elem_flags(int fd, uintptr_t key, uintptr_t value, uint64_t flags)'),
  map_update: libbpf.func('int bpf_map_update_elem(int fd, uintptr_t key, uintptr_t value, uint64_t flags)'),
  map_delete: libbpf.func('int bpf_map_delete_elem_flags(int fd, uintptr_t key, uint64_t flags)'),
  map_get_next_key: libbpf.func('int bpf_map_get_next_key(int fd, uintptr_t key, uintptr_t next_key)'),
};

export const libExtra = {
  map_initial_value: libbpf.func('void *bpf_map__initial_value(bpf_map_t map, _Out_ size_t *psize)'),
  map_set_initial_value: libbpf.func('int bpf_map__set_initial_value(bpf_map_t map, const void *data, size_t size)'),
};

/**
 * The same functions taking raw addresses, for the reaper: after a worker was terminated, the
 * main thread frees what the worker's libbpf calls had allocated (addresses from the ledger).
 */
export const libByAddress = {
  object_close: libbpf.func('void bpf_object__close(uintptr_t obj)'),
  link_destroy: libbpf.func('int bpf_link__destroy(uintptr_t link)'),
  perf_buffer_free: libbpf.func('void perf_buffer__free(uintptr_t pb)'),
  munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
};
