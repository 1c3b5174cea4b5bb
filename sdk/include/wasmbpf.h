/* SPDX-License-Identifier: MIT */
/*
 * wasmbpf.h: what a guest can do beyond the `wasm_bpf` ABI, over our versioned `wasmbpf_v1`
 * host imports (docs/abi.md): autoload, attach options (uprobe, xdp, tc, cgroup, tracepoint,
 * kprobe, socket), raw sockets, the possible-CPU count, live global data, the host's last error.
 *
 * Include it after (or instead of) libbpf-wasm.h. A module that calls any function here imports
 * `wasmbpf_v1` and so needs the wasmbpf runtime; one that does not stays runnable on the
 * reference wasm-bpf runtime (the imports are only pulled in by the functions that use them).
 *
 * Names follow libbpf where libbpf has the call (bpf_program__set_autoload,
 * bpf_program__attach_uprobe_opts, libbpf_num_possible_cpus); where libbpf takes something a
 * guest cannot have (an ifindex, a cgroup fd, a socket it made itself) the call is
 * wasmbpf_attach_* and takes the name or path the host resolves.
 */
#ifndef WASMBPF_WASMBPF_H
#define WASMBPF_WASMBPF_H

#include <sys/types.h>
#include <time.h>
#include <wasi/api.h>
#include "libbpf-wasm.h"

#define WASMBPF__IMPORT_V1(name) __attribute__((import_module("wasmbpf_v1"), import_name(name)))

WASMBPF__IMPORT_V1("open_object")
wasm_bpf_handle wasmbpf_v1_open_object(const void *buf, int len);
WASMBPF__IMPORT_V1("set_autoload")
int wasmbpf_v1_set_autoload(wasm_bpf_handle obj, const char *prog_name, int autoload);
WASMBPF__IMPORT_V1("load_object")
int wasmbpf_v1_load_object(wasm_bpf_handle obj);
WASMBPF__IMPORT_V1("attach")
int wasmbpf_v1_attach(wasm_bpf_handle obj, const char *prog_name, const void *opts, int opts_len);
WASMBPF__IMPORT_V1("open_raw_socket")
int wasmbpf_v1_open_raw_socket(const char *ifname);
WASMBPF__IMPORT_V1("num_possible_cpus")
int wasmbpf_v1_num_possible_cpus(void);
WASMBPF__IMPORT_V1("global_data")
int wasmbpf_v1_global_data(wasm_bpf_handle obj, const char *section, void *buf, int len, int write);
WASMBPF__IMPORT_V1("last_error")
int wasmbpf_v1_last_error(char *buf, int len);
WASMBPF__IMPORT_V1("buffer_poll")
int wasmbpf_v1_buffer_poll(wasm_bpf_handle obj, int fd, int32_t sample_fn, uint32_t ctx,
                           char *buf, int len, int timeout_ms);
#undef WASMBPF__IMPORT_V1

/* ---- the host's last error, in libbpf's words ---- */

/* The message of the last failed host call ("" if none), in a static buffer. */
static inline const char *wasmbpf_last_error(void)
{
    static char msg[1024];
    msg[0] = '\0';
    wasmbpf_v1_last_error(msg, (int)sizeof(msg));
    return msg;
}

/* ---- autoload: open_object + set_autoload + load_object ---- */
static inline wasm_bpf_handle wasmbpf__load_with_autoload(struct bpf_object *obj, int *err)
{
    wasm_bpf_handle h = wasmbpf_v1_open_object(obj->elf, (int)obj->elf_sz);
    if (!h) {
        *err = EINVAL;
        return 0;
    }
    const struct bpf_object_skeleton *s = obj->skel;
    for (int i = 0; i < s->prog_cnt; i++) {
        const struct bpf_program *prog = *WASMBPF__PROG_SKEL(s, i)->prog;
        if (prog->autoload)
            continue;
        int r = wasmbpf__ret(wasmbpf_v1_set_autoload(h, prog->name, 0));
        if (r < 0) {
            *err = -r;
            wasm_close_bpf_object(h);
            return 0;
        }
    }
    int r = wasmbpf__ret(wasmbpf_v1_load_object(h));
    if (r < 0) {
        *err = -r;
        wasm_close_bpf_object(h);
        return 0;
    }
    return h;
}

/* Before load only, like libbpf (-EBUSY after). A program not loaded is not attached either. */
static inline int bpf_program__set_autoload(struct bpf_program *prog, bool autoload)
{
    if (prog->obj->loaded)
        return -(errno = EBUSY);
    prog->autoload = autoload;
    prog->obj->load_ext = wasmbpf__load_with_autoload;
    return 0;
}

/* ---- CPUs: per-CPU map values are round_up(value_size, 8) bytes apart, one per possible CPU ---- */
static inline int libbpf_num_possible_cpus(void)
{
    return wasmbpf__ret(wasmbpf_v1_num_possible_cpus());
}

/* ---- global data after load: skel->bss / skel->data are guest copies; refresh or push them ---- */

/* Copies the kernel's current .bss/.data/.rodata of `map` into the skeleton's view (skel->bss...). */
static inline int wasmbpf_global_read(struct bpf_map *map)
{
    if (!map || !map->section || !map->obj->loaded)
        return -(errno = EINVAL);
    int r = wasmbpf__ret(wasmbpf_v1_global_data(map->obj->handle, map->section, map->global,
                                                (int)map->global_sz, 0));
    return r < 0 ? r : 0;
}

/* Writes the skeleton's view of .bss/.data into the kernel (.rodata is frozen: -EPERM). */
static inline int wasmbpf_global_write(struct bpf_map *map)
{
    if (!map || !map->section || !map->obj->loaded)
        return -(errno = EINVAL);
    int r = wasmbpf__ret(wasmbpf_v1_global_data(map->obj->handle, map->section, map->global,
                                                (int)map->global_sz, 1));
    return r < 0 ? r : 0;
}

/* ---- attach with options ---- */
enum wasmbpf_attach_kind {
    WASMBPF_ATTACH_AUTO = 0,
    WASMBPF_ATTACH_UPROBE = 1,
    WASMBPF_ATTACH_URETPROBE = 2,
    WASMBPF_ATTACH_XDP = 3,
    WASMBPF_ATTACH_TC_INGRESS = 4,
    WASMBPF_ATTACH_TC_EGRESS = 5,
    WASMBPF_ATTACH_CGROUP = 6,
    WASMBPF_ATTACH_KPROBE = 7,
    WASMBPF_ATTACH_KRETPROBE = 8,
    WASMBPF_ATTACH_SOCKET = 9,
    WASMBPF_ATTACH_TRACEPOINT = 10,
};

/* The wasm32 layout the host reads: 32 bytes (docs/abi.md). */
struct wasmbpf_attach_opts {
    uint32_t kind;
    int32_t pid;
    uint32_t target; /* const char * */
    uint32_t func;   /* const char * */
    uint64_t offset;
    int32_t fd;
    uint32_t flags;
};
_Static_assert(sizeof(struct wasmbpf_attach_opts) == 32, "wasmbpf_attach_opts is 32 bytes");

/* XDP attach flags (linux/if_link.h), for wasmbpf_attach_xdp: one mode, optionally with
 * UPDATE_IF_NOEXIST (a no-op: the host's XDP link never replaces an attached program). */
#define XDP_FLAGS_UPDATE_IF_NOEXIST (1U << 0)
#define XDP_FLAGS_SKB_MODE (1U << 1)
#define XDP_FLAGS_DRV_MODE (1U << 2)
#define XDP_FLAGS_HW_MODE (1U << 3)

static inline struct bpf_link *wasmbpf_attach(const struct bpf_program *prog,
                                              const struct wasmbpf_attach_opts *opts)
{
    if (!prog || !opts || !prog->obj->loaded) {
        errno = EINVAL;
        return NULL;
    }
    int r = wasmbpf__ret(wasmbpf_v1_attach(prog->obj->handle, prog->name, opts, (int)sizeof(*opts)));
    if (r < 0)
        return NULL;
    struct bpf_link *link = calloc(1, sizeof(*link));
    if (!link) {
        errno = ENOMEM;
        return NULL;
    }
    link->obj = prog->obj;
    link->prog = prog;
    return link;
}

/* libbpf's uprobe options: func_name is resolved in binary_path's symbols by the host. */
struct bpf_uprobe_opts {
    size_t sz;
    size_t ref_ctr_offset; /* USDT semaphores: not supported, must be 0 */
    uint64_t bpf_cookie;   /* not supported, must be 0 */
    bool retprobe;
    const char *func_name;
};

static inline struct bpf_link *bpf_program__attach_uprobe_opts(const struct bpf_program *prog,
                                                               pid_t pid, const char *binary_path,
                                                               size_t func_offset,
                                                               const struct bpf_uprobe_opts *opts)
{
    if (opts && (opts->ref_ctr_offset || opts->bpf_cookie)) {
        errno = EOPNOTSUPP;
        return NULL;
    }
    struct wasmbpf_attach_opts o = {
        .kind = opts && opts->retprobe ? WASMBPF_ATTACH_URETPROBE : WASMBPF_ATTACH_UPROBE,
        .pid = pid,
        .target = (uint32_t)(uintptr_t)binary_path,
        .func = (uint32_t)(uintptr_t)(opts ? opts->func_name : NULL),
        .offset = func_offset,
        .fd = -1,
    };
    return wasmbpf_attach(prog, &o);
}

static inline struct bpf_link *bpf_program__attach_uprobe(const struct bpf_program *prog,
                                                          bool retprobe, pid_t pid,
                                                          const char *binary_path,
                                                          size_t func_offset)
{
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);
    return bpf_program__attach_uprobe_opts(prog, pid, binary_path, func_offset, &opts);
}

static inline struct bpf_link *bpf_program__attach_kprobe(const struct bpf_program *prog,
                                                          bool retprobe, const char *func_name)
{
    struct wasmbpf_attach_opts o = {
        .kind = retprobe ? WASMBPF_ATTACH_KRETPROBE : WASMBPF_ATTACH_KPROBE,
        .pid = -1,
        .target = (uint32_t)(uintptr_t)func_name,
        .fd = -1,
    };
    return wasmbpf_attach(prog, &o);
}

static inline struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *prog,
                                                              const char *category,
                                                              const char *name)
{
    char target[256];
    int n = snprintf(target, sizeof(target), "%s:%s", category, name);
    if (n < 0 || (size_t)n >= sizeof(target)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    struct wasmbpf_attach_opts o = {
        .kind = WASMBPF_ATTACH_TRACEPOINT,
        .pid = -1,
        .target = (uint32_t)(uintptr_t)target,
        .fd = -1,
    };
    return wasmbpf_attach(prog, &o);
}

/* XDP on an interface by name; flags: 0 lets the kernel choose, else XDP_FLAGS_SKB_MODE (generic),
 * XDP_FLAGS_DRV_MODE (native) or XDP_FLAGS_HW_MODE; other flags fail with EINVAL (docs/abi.md). */
static inline struct bpf_link *wasmbpf_attach_xdp(const struct bpf_program *prog,
                                                  const char *ifname, uint32_t flags)
{
    struct wasmbpf_attach_opts o = {
        .kind = WASMBPF_ATTACH_XDP,
        .pid = -1,
        .target = (uint32_t)(uintptr_t)ifname,
        .fd = -1,
        .flags = flags,
    };
    return wasmbpf_attach(prog, &o);
}

/* tc (tcx where the kernel has it) on an interface's ingress or egress. */
static inline struct bpf_link *wasmbpf_attach_tc(const struct bpf_program *prog,
                                                 const char *ifname, bool egress)
{
    struct wasmbpf_attach_opts o = {
        .kind = egress ? WASMBPF_ATTACH_TC_EGRESS : WASMBPF_ATTACH_TC_INGRESS,
        .pid = -1,
        .target = (uint32_t)(uintptr_t)ifname,
        .fd = -1,
    };
    return wasmbpf_attach(prog, &o);
}

/* cgroup_* and sockops programs on a cgroup v2 directory, e.g. "/sys/fs/cgroup". */
static inline struct bpf_link *wasmbpf_attach_cgroup(const struct bpf_program *prog,
                                                     const char *cgroup_path)
{
    struct wasmbpf_attach_opts o = {
        .kind = WASMBPF_ATTACH_CGROUP,
        .pid = -1,
        .target = (uint32_t)(uintptr_t)cgroup_path,
        .fd = -1,
    };
    return wasmbpf_attach(prog, &o);
}

/* An AF_PACKET raw socket the host opens, bound to ifname ("" = every interface); it is the
 * instance's own and closes when the module ends. Returns its fd, or -errno. */
static inline int wasmbpf_open_raw_socket(const char *ifname)
{
    return wasmbpf__ret(wasmbpf_v1_open_raw_socket(ifname ? ifname : ""));
}

/* A socket filter on a socket from wasmbpf_open_raw_socket. */
static inline struct bpf_link *wasmbpf_attach_socket(const struct bpf_program *prog, int sock_fd)
{
    struct wasmbpf_attach_opts o = {
        .kind = WASMBPF_ATTACH_SOCKET,
        .pid = -1,
        .fd = sock_fd,
    };
    return wasmbpf_attach(prog, &o);
}

/* ---- polling ---- */

/* As bpf_buffer__poll, but returns the number of records delivered (like ring_buffer__poll). */
static inline int wasmbpf_buffer__poll_count(struct bpf_buffer *b, int timeout_ms)
{
    if (!b || b->fd < 0)
        return -(errno = EINVAL);
    return wasmbpf__ret(wasmbpf_v1_buffer_poll(b->events->obj->handle, b->fd,
                                               (int32_t)(uintptr_t)b->sample_fn,
                                               (uint32_t)(uintptr_t)b->ctx, b->records,
                                               WASMBPF_BUFFER_SIZE, timeout_ms));
}

/* ---- sleeping: how interval tools notice that the host is stopping them ---- */

/* Sleeps ms milliseconds; 0, or -EINTR when the host woke the sleep to stop the module
 * (SIGINT/SIGTERM). This asks WASI directly: wasi-libc's nanosleep() and sleep() turn every
 * poll_oneoff error into ENOTSUP, so an interruption cannot be told apart through them
 * (sleep() does return early with a non-zero value, which is all it can say). */
static inline int wasmbpf_sleep_ms(unsigned int ms)
{
    __wasi_subscription_t sub = {
        .userdata = 0,
        .u = {
            .tag = __WASI_EVENTTYPE_CLOCK,
            .u.clock = { .id = __WASI_CLOCKID_MONOTONIC, .timeout = (uint64_t)ms * 1000000ULL },
        },
    };
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    __wasi_errno_t err = __wasi_poll_oneoff(&sub, &ev, 1, &n);
    if (err == __WASI_ERRNO_INTR)
        return -(errno = EINTR);
    if (err != 0)
        return -(errno = err);
    return 0;
}

#endif /* WASMBPF_WASMBPF_H */
