/* SPDX-License-Identifier: MIT */
/*
 * libbpf-wasm.h: libbpf's user-space API for WebAssembly guests, over the host's `wasm_bpf`
 * imports (the ABI of the open-source wasm-bpf project; see docs/abi.md).
 *
 * Guest code reads like libbpf-bootstrap code: a `bpftool gen skeleton` header (bpftool 7.x)
 * compiles against this file unchanged (its `#include <bpf/libbpf.h>` resolves to
 * sdk/include/bpf/libbpf.h, which includes this), and open -> set rodata -> load -> attach ->
 * poll -> destroy work as with libbpf. What differs, and why:
 *
 *  - The object bytes are copied into guest memory at open. `.rodata` and `.data` variables are
 *    edited in that copy (skel->rodata->x = ...), so the kernel sees them when the copy is
 *    loaded; `.bss` starts zeroed, as the kernel makes it. After load, `skel->bss`/`skel->data`
 *    are snapshots, not live mappings: wasmbpf.h's wasmbpf_global_read/write refresh them.
 *  - Only `wasm_bpf` imports are used here, so a module built on this header alone also runs on
 *    the reference wasm-bpf runtime. Anything that needs our `wasmbpf_v1` extensions
 *    (autoload, attach options, raw sockets, CPU count, global data) lives in wasmbpf.h.
 *  - Errors are negative errno values in this libc's numbering (wasi-libc's EINTR is 27, not
 *    Linux's 4): the wasmbpf host translates kernel errnos before they cross the ABI, so
 *    `err == -EINTR` and `errno == ENOENT` mean what they say. errno is set on failure too.
 *    (The reference wasm-bpf runtime passes Linux numbers through; there such checks fail.)
 *  - Unlike the reference header, nothing is silently ignored: a failed auto-attach fails
 *    bpf_object__attach_skeleton (a program whose section type libbpf cannot auto-attach,
 *    e.g. SEC("xdp"), is skipped, as libbpf's skeleton does).
 *  - Links cannot be detached one by one over `wasm_bpf`: bpf_link__destroy releases the guest
 *    handle only, and every link is detached when the object is closed (destroy or exit).
 */
#ifndef WASMBPF_LIBBPF_WASM_H
#define WASMBPF_LIBBPF_WASM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __wasm32__
#error "libbpf-wasm.h is for WebAssembly guests (clang --target=wasm32-wasi)"
#endif

/* ---- the kernel's fixed-width types, as shared headers (NAME.h) spell them ---- */
#ifndef WASMBPF_NO_KERNEL_TYPES
typedef uint8_t __u8;
typedef int8_t __s8;
typedef uint16_t __u16;
typedef int16_t __s16;
typedef uint32_t __u32;
typedef int32_t __s32;
typedef uint64_t __u64;
typedef int64_t __s64;
#endif

/* ---- the `wasm_bpf` host imports (docs/abi.md) ---- */
#define WASMBPF__IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(name)))

/* An object handle: opaque to the guest, 0 means failure. */
typedef uint64_t wasm_bpf_handle;

WASMBPF__IMPORT("wasm_load_bpf_object")
wasm_bpf_handle wasm_load_bpf_object(const void *obj_buf, int obj_buf_sz);
WASMBPF__IMPORT("wasm_attach_bpf_program")
int wasm_attach_bpf_program(wasm_bpf_handle obj, const char *name, const char *attach_target);
WASMBPF__IMPORT("wasm_bpf_buffer_poll")
int wasm_bpf_buffer_poll(wasm_bpf_handle obj, int fd, int32_t sample_fn, uint32_t ctx,
                         char *data, int max_size, int timeout_ms);
WASMBPF__IMPORT("wasm_bpf_map_fd_by_name")
int wasm_bpf_map_fd_by_name(wasm_bpf_handle obj, const char *name);
WASMBPF__IMPORT("wasm_bpf_map_operate")
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value, void *next_key, uint64_t flags);
WASMBPF__IMPORT("wasm_close_bpf_object")
int wasm_close_bpf_object(wasm_bpf_handle obj);
#undef WASMBPF__IMPORT

/* ---- errno: the host answers in this libc's numbering (WASI's: EINTR 27, ENOENT 44) ---- */

/* A host return value as libbpf would return it: >= 0 unchanged, else -errno, with errno set. */
static inline int wasmbpf__ret(int host_ret)
{
    if (host_ret >= 0)
        return host_ret;
    errno = -host_ret;
    return host_ret;
}

static inline int libbpf_get_error(const void *ptr)
{
    return ptr ? 0 : -errno;
}

/* ---- libbpf constants the tools use ---- */
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2, BPF_F_LOCK = 4 };
enum wasmbpf__map_cmd {
    WASMBPF_MAP_LOOKUP_ELEM = 1,
    WASMBPF_MAP_UPDATE_ELEM = 2,
    WASMBPF_MAP_DELETE_ELEM = 3,
    WASMBPF_MAP_GET_NEXT_KEY = 4,
};

/* ---- options structs: libbpf's sized-struct convention (LIBBPF_OPTS sets .sz) ---- */
#define LIBBPF_OPTS(TYPE, NAME, ...)                                  \
    struct TYPE NAME = ({                                             \
        (struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };      \
    })
#define DECLARE_LIBBPF_OPTS LIBBPF_OPTS

struct bpf_object_open_opts {
    size_t sz;
    const char *object_name; /* accepted for source compatibility; the host names objects */
};

/* ---- libbpf's print hook: the host already routes libbpf's messages to stderr ---- */
enum libbpf_print_level { LIBBPF_WARN, LIBBPF_INFO, LIBBPF_DEBUG };
typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *fmt, va_list args);
static inline libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
    (void)fn; /* messages are printed by the host, with the verifier log, on stderr */
    return NULL;
}

/* ---- objects, maps, programs, links ---- */
struct bpf_object;
struct bpf_object_skeleton;

struct bpf_map {
    struct bpf_object *obj;
    const char *name;        /* as the skeleton names it: "rb", "execsnoo.rodata" */
    const char *host_name;   /* as the host looks it up: "rb", ".rodata" */
    const char *section;     /* ".rodata", ".data", ".bss" for global data; else NULL */
    int fd;                  /* valid after load */
    void *global;            /* the guest copy of a global-data section */
    size_t global_sz;
    void *owned;             /* what to free: the zeroed .bss copy */
};

struct bpf_program {
    struct bpf_object *obj;
    const char *name;
    bool autoload;
    bool autoattach;
};

struct bpf_link {
    struct bpf_object *obj;
    const struct bpf_program *prog;
};

struct bpf_object {
    const char *name;
    uint8_t *elf;            /* private copy of the ELF; .rodata/.data are edited in place */
    size_t elf_sz;
    wasm_bpf_handle handle;  /* 0 until loaded */
    bool loaded;
    struct bpf_object_skeleton *skel;
    /* Set by wasmbpf.h when loading needs the wasmbpf_v1 extensions (e.g. autoload off). */
    wasm_bpf_handle (*load_ext)(struct bpf_object *obj, int *err);
};

/* The layout `bpftool gen skeleton` (7.x) fills in. */
struct bpf_map_skeleton {
    const char *name;
    struct bpf_map **map;
    void **mmaped;
    struct bpf_link **link; /* newer bpftool, struct_ops only */
};

struct bpf_prog_skeleton {
    const char *name;
    struct bpf_program **prog;
    struct bpf_link **link;
};

struct bpf_object_skeleton {
    size_t sz;
    const char *name;
    const void *data;
    size_t data_sz;
    struct bpf_object **obj;
    int map_cnt;
    int map_skel_sz;
    struct bpf_map_skeleton *maps;
    int prog_cnt;
    int prog_skel_sz;
    struct bpf_prog_skeleton *progs;
};

#define WASMBPF__MAP_SKEL(s, i) \
    ((struct bpf_map_skeleton *)((char *)(s)->maps + (size_t)(i) * (size_t)(s)->map_skel_sz))
#define WASMBPF__PROG_SKEL(s, i) \
    ((struct bpf_prog_skeleton *)((char *)(s)->progs + (size_t)(i) * (size_t)(s)->prog_skel_sz))

/* ---- a minimal ELF64 reader: where a global-data section lies in the object copy ---- */
static inline uint64_t wasmbpf__rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) /* eBPF objects here are little-endian, like wasm32 */
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* 0 and the section's offset, size and type; -ENOENT if absent; -EINVAL if malformed. */
static inline int wasmbpf__elf_section(const uint8_t *elf, size_t sz, const char *want,
                                       size_t *off, size_t *size, uint32_t *type)
{
    if (sz < 64 || memcmp(elf, "\177ELF", 4) != 0 || elf[4] != 2 || elf[5] != 1)
        return -EINVAL;
    uint64_t shoff = wasmbpf__rd(elf + 40, 8);
    uint64_t shentsize = wasmbpf__rd(elf + 58, 2), shnum = wasmbpf__rd(elf + 60, 2);
    uint64_t shstrndx = wasmbpf__rd(elf + 62, 2);
    if (shentsize < 64 || shstrndx >= shnum || shoff > sz || shnum * shentsize > sz - shoff)
        return -EINVAL;
    const uint8_t *strsh = elf + shoff + shstrndx * shentsize;
    uint64_t stroff = wasmbpf__rd(strsh + 24, 8), strsz = wasmbpf__rd(strsh + 32, 8);
    if (stroff > sz || strsz > sz - stroff)
        return -EINVAL;
    size_t wantlen = strlen(want);
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = elf + shoff + i * shentsize;
        uint64_t name = wasmbpf__rd(sh, 4);
        if (name + wantlen + 1 > strsz || memcmp(elf + stroff + name, want, wantlen + 1) != 0)
            continue;
        uint32_t t = (uint32_t)wasmbpf__rd(sh + 4, 4);
        uint64_t o = wasmbpf__rd(sh + 24, 8), s = wasmbpf__rd(sh + 32, 8);
        if (t != 8 /* SHT_NOBITS */ && (o > sz || s > sz - o))
            return -EINVAL;
        *off = (size_t)o;
        *size = (size_t)s;
        *type = t;
        return 0;
    }
    return -ENOENT;
}

/* The name of the section holding function FUNC (an eBPF program), or NULL: the .symtab's FUNC
 * symbol of that name, then its section's name. Points into the ELF copy. */
static inline const char *wasmbpf__elf_func_section(const uint8_t *elf, size_t sz, const char *func)
{
    if (sz < 64 || memcmp(elf, "\177ELF", 4) != 0 || elf[4] != 2 || elf[5] != 1)
        return NULL;
    uint64_t shoff = wasmbpf__rd(elf + 40, 8);
    uint64_t shentsize = wasmbpf__rd(elf + 58, 2), shnum = wasmbpf__rd(elf + 60, 2);
    uint64_t shstrndx = wasmbpf__rd(elf + 62, 2);
    if (shentsize < 64 || shstrndx >= shnum || shoff > sz || shnum * shentsize > sz - shoff)
        return NULL;
#define WASMBPF__SH(i) (elf + shoff + (uint64_t)(i) * shentsize)
    size_t funclen = strlen(func);
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = WASMBPF__SH(i);
        if (wasmbpf__rd(sh + 4, 4) != 2 /* SHT_SYMTAB */)
            continue;
        uint64_t link = wasmbpf__rd(sh + 40, 4);
        uint64_t off = wasmbpf__rd(sh + 24, 8), size = wasmbpf__rd(sh + 32, 8);
        if (link >= shnum || off > sz || size > sz - off)
            return NULL;
        const uint8_t *str = WASMBPF__SH(link);
        uint64_t stroff = wasmbpf__rd(str + 24, 8), strsz = wasmbpf__rd(str + 32, 8);
        if (stroff > sz || strsz > sz - stroff)
            return NULL;
        for (uint64_t sym = off; sym + 24 <= off + size; sym += 24) {
            uint64_t name = wasmbpf__rd(elf + sym, 4), shndx = wasmbpf__rd(elf + sym + 6, 2);
            if ((elf[sym + 4] & 0xf) != 2 /* STT_FUNC */ || shndx == 0 || shndx >= shnum ||
                name + funclen + 1 > strsz || memcmp(elf + stroff + name, func, funclen + 1) != 0)
                continue;
            const uint8_t *names = WASMBPF__SH(shstrndx);
            uint64_t noff = wasmbpf__rd(names + 24, 8), nsz = wasmbpf__rd(names + 32, 8);
            uint64_t secname = wasmbpf__rd(WASMBPF__SH(shndx), 4);
            if (noff > sz || nsz > sz - noff || secname >= nsz || !memchr(elf + noff + secname, 0, nsz - secname))
                return NULL;
            return (const char *)elf + noff + secname;
        }
    }
#undef WASMBPF__SH
    return NULL;
}

/* Whether libbpf attaches programs of this section by itself: a section type with its target in
 * the name (SEC("kprobe/do_unlinkat"), SEC("tp/sched/x"), SEC("lsm/path_mkdir"), ...). */
static inline bool wasmbpf__auto_attach_section(const char *sec)
{
    static const char *const prefixes[] = {
        "tp/", "tracepoint/", "raw_tp/", "raw_tracepoint/", "raw_tp.w/", "raw_tracepoint.w/",
        "tp_btf/", "fentry/", "fexit/", "fmod_ret/", "fentry.s/", "fexit.s/", "fmod_ret.s/",
        "lsm/", "lsm.s/", "lsm_cgroup/", "kprobe/", "kretprobe/", "ksyscall/", "kretsyscall/",
        "kprobe.multi/", "kretprobe.multi/", "uprobe/", "uretprobe/", "uprobe.s/", "uretprobe.s/",
        "usdt/", "iter/", "iter.s/",
    };
    for (size_t i = 0; sec && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(sec, prefixes[i], strlen(prefixes[i])) == 0 && sec[strlen(prefixes[i])])
            return true;
    return false;
}

/* ---- the loaded objects of this translation unit, to find a map's object by fd ----
 * libbpf's ring_buffer__new and perf_buffer__new take only a map fd, while wasm_bpf's poll also
 * wants the object's handle. Guests are one C file as a rule; a map loaded in another file
 * is not found (-ENOENT). */
#define WASMBPF__MAX_OBJECTS 16
static struct bpf_object *wasmbpf__objects[WASMBPF__MAX_OBJECTS];

static inline void wasmbpf__register(struct bpf_object *obj, bool add)
{
    for (int i = 0; i < WASMBPF__MAX_OBJECTS; i++) {
        if (add ? wasmbpf__objects[i] == NULL : wasmbpf__objects[i] == obj) {
            wasmbpf__objects[i] = add ? obj : NULL;
            return;
        }
    }
}

/* ---- skeleton lifecycle ---- */
static inline void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s);

static inline int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
                                            const struct bpf_object_open_opts *opts)
{
    (void)opts;
    if (!s || !s->data || !s->data_sz || !s->obj)
        return -(errno = EINVAL);
    struct bpf_object *obj = calloc(1, sizeof(*obj));
    if (!obj)
        return -(errno = ENOMEM);
    *s->obj = obj;
    obj->skel = s;
    obj->name = s->name;
    obj->elf_sz = s->data_sz;
    obj->elf = malloc(s->data_sz);
    if (!obj->elf)
        return -(errno = ENOMEM);
    memcpy(obj->elf, s->data, s->data_sz);

    for (int i = 0; i < s->map_cnt; i++) {
        struct bpf_map_skeleton *ms = WASMBPF__MAP_SKEL(s, i);
        struct bpf_map *map = calloc(1, sizeof(*map));
        if (!map)
            return -(errno = ENOMEM);
        *ms->map = map;
        map->obj = obj;
        map->name = ms->name;
        map->fd = -1;
        /* libbpf names global-data maps "<8 chars of object>.<section>" and finds them by
         * their section name, which is what the host is asked for. */
        const char *dot = strchr(ms->name, '.');
        map->host_name = dot ? dot : ms->name;
        if (!dot)
            continue;
        map->section = dot;
        size_t off, size;
        uint32_t type;
        int err = wasmbpf__elf_section(obj->elf, obj->elf_sz, dot, &off, &size, &type);
        if (err == -ENOENT && strcmp(dot, ".kconfig") == 0) {
            /* __kconfig externs have no section: libbpf fills them in at load, out of the
             * guest's sight, so there is nothing to map (skel->kconfig stays NULL). */
            map->section = NULL;
            continue;
        }
        if (err) {
            fprintf(stderr, "libbpf-wasm: map '%s': section '%s' not found in the object\n",
                    ms->name, dot);
            return -(errno = -err);
        }
        if (type == 8 /* SHT_NOBITS: .bss has no bytes in the file */) {
            map->owned = calloc(1, size ? size : 1);
            if (!map->owned)
                return -(errno = ENOMEM);
            map->global = map->owned;
        } else {
            map->global = obj->elf + off;
        }
        map->global_sz = size;
        if (ms->mmaped)
            *ms->mmaped = map->global;
    }

    for (int i = 0; i < s->prog_cnt; i++) {
        struct bpf_prog_skeleton *ps = WASMBPF__PROG_SKEL(s, i);
        struct bpf_program *prog = calloc(1, sizeof(*prog));
        if (!prog)
            return -(errno = ENOMEM);
        *ps->prog = prog;
        prog->obj = obj;
        prog->name = ps->name;
        prog->autoload = true;
        prog->autoattach = true;
    }
    return 0;
}

static inline int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
    struct bpf_object *obj = s && s->obj ? *s->obj : NULL;
    if (!obj)
        return -(errno = EINVAL);
    if (obj->loaded)
        return -(errno = EBUSY);
    if (obj->load_ext) {
        int err = 0;
        obj->handle = obj->load_ext(obj, &err);
        if (!obj->handle)
            return -(errno = err ? err : EINVAL);
    } else {
        obj->handle = wasm_load_bpf_object(obj->elf, (int)obj->elf_sz);
        /* wasm_bpf says only "0"; the host printed libbpf's reason on stderr. */
        if (!obj->handle)
            return -(errno = EINVAL);
    }
    obj->loaded = true;
    wasmbpf__register(obj, true);
    for (int i = 0; i < s->map_cnt; i++) {
        struct bpf_map *map = *WASMBPF__MAP_SKEL(s, i)->map;
        map->fd = wasmbpf__ret(wasm_bpf_map_fd_by_name(obj->handle, map->host_name));
    }
    return 0;
}

static inline struct bpf_link *bpf_program__attach(const struct bpf_program *prog)
{
    if (!prog || !prog->obj->loaded) {
        errno = EINVAL;
        return NULL;
    }
    int err = wasmbpf__ret(wasm_attach_bpf_program(prog->obj->handle, prog->name, ""));
    if (err < 0)
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

static inline int bpf_object__attach_skeleton(struct bpf_object_skeleton *s)
{
    for (int i = 0; i < s->prog_cnt; i++) {
        struct bpf_prog_skeleton *ps = WASMBPF__PROG_SKEL(s, i);
        struct bpf_program *prog = *ps->prog;
        if (!prog->autoload || !prog->autoattach)
            continue;
        if (ps->link && *ps->link)
            continue; /* attached already, by hand */
        struct bpf_link *link = bpf_program__attach(prog);
        if (!link) {
            /* libbpf's skeleton skips programs whose section type has no auto-attach
             * (xdp, tc, socket, bare uprobe): those are attached by hand. The host says so
             * with EOPNOTSUPP, which is also how the kernel's own "not supported" arrives
             * (fentry or LSM without BPF trampolines, as on arm64 before Linux 6.4): for a
             * section libbpf does attach by itself, that is a failure like any other. */
            if (errno == EOPNOTSUPP &&
                !wasmbpf__auto_attach_section(wasmbpf__elf_func_section(prog->obj->elf, prog->obj->elf_sz, prog->name)))
                continue;
            int err = -errno;
            fprintf(stderr, "libbpf-wasm: failed to auto-attach program '%s': %s\n",
                    prog->name, strerror(-err));
            return err;
        }
        if (ps->link)
            *ps->link = link;
        else
            free(link);
    }
    return 0;
}

/* wasm_bpf has no per-link detach: links stay until the object is destroyed (or the module
 * exits). This releases nothing and says so in docs/guest-sdk.md. */
static inline void bpf_object__detach_skeleton(struct bpf_object_skeleton *s)
{
    (void)s;
}

static inline int bpf_link__destroy(struct bpf_link *link)
{
    free(link); /* the kernel link goes when its object is closed */
    return 0;
}

static inline void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
    if (!s)
        return;
    struct bpf_object *obj = s->obj ? *s->obj : NULL;
    if (obj && obj->handle) {
        wasm_close_bpf_object(obj->handle);
        wasmbpf__register(obj, false);
    }
    for (int i = 0; s->maps && i < s->map_cnt; i++) {
        struct bpf_map_skeleton *ms = WASMBPF__MAP_SKEL(s, i);
        if (*ms->map)
            free((*ms->map)->owned);
        free(*ms->map);
        *ms->map = NULL;
        if (ms->mmaped)
            *ms->mmaped = NULL;
    }
    for (int i = 0; s->progs && i < s->prog_cnt; i++) {
        struct bpf_prog_skeleton *ps = WASMBPF__PROG_SKEL(s, i);
        free(*ps->prog);
        *ps->prog = NULL;
        if (ps->link) {
            free(*ps->link);
            *ps->link = NULL;
        }
    }
    if (obj) {
        free(obj->elf);
        free(obj);
        *s->obj = NULL;
    }
    free(s->maps);
    free(s->progs);
    free(s);
}

/* ---- lookups by name ---- */
static inline struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj,
                                                           const char *name)
{
    const struct bpf_object_skeleton *s = obj ? obj->skel : NULL;
    for (int i = 0; s && i < s->map_cnt; i++) {
        struct bpf_map *map = *WASMBPF__MAP_SKEL(s, i)->map;
        if (strcmp(map->name, name) == 0 || strcmp(map->host_name, name) == 0)
            return map;
    }
    errno = ENOENT;
    return NULL;
}

static inline struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj,
                                                                   const char *name)
{
    const struct bpf_object_skeleton *s = obj ? obj->skel : NULL;
    for (int i = 0; s && i < s->prog_cnt; i++) {
        struct bpf_program *prog = *WASMBPF__PROG_SKEL(s, i)->prog;
        if (strcmp(prog->name, name) == 0)
            return prog;
    }
    errno = ENOENT;
    return NULL;
}

static inline const char *bpf_map__name(const struct bpf_map *map) { return map->name; }
static inline const char *bpf_program__name(const struct bpf_program *prog) { return prog->name; }
static inline const char *bpf_object__name(const struct bpf_object *obj) { return obj->name; }

/* The map's fd once the object is loaded; -EINVAL before, or the host's error. */
static inline int bpf_map__fd(const struct bpf_map *map)
{
    if (!map || !map->obj->loaded)
        return -(errno = EINVAL);
    return map->fd;
}

static inline int bpf_program__set_autoattach(struct bpf_program *prog, bool autoattach)
{
    prog->autoattach = autoattach;
    return 0;
}
static inline bool bpf_program__autoload(const struct bpf_program *prog) { return prog->autoload; }
static inline bool bpf_program__autoattach(const struct bpf_program *prog) { return prog->autoattach; }

/* ---- map operations (bpf/bpf.h's low-level API, by fd) ---- */
static inline int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
    return wasmbpf__ret(wasm_bpf_map_operate(fd, WASMBPF_MAP_LOOKUP_ELEM, (void *)key, value, NULL, 0));
}
static inline int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, uint64_t flags)
{
    return wasmbpf__ret(wasm_bpf_map_operate(fd, WASMBPF_MAP_LOOKUP_ELEM, (void *)key, value, NULL, flags));
}
static inline int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)
{
    return wasmbpf__ret(wasm_bpf_map_operate(fd, WASMBPF_MAP_UPDATE_ELEM, (void *)key, (void *)value, NULL, flags));
}
static inline int bpf_map_delete_elem(int fd, const void *key)
{
    return wasmbpf__ret(wasm_bpf_map_operate(fd, WASMBPF_MAP_DELETE_ELEM, (void *)key, NULL, NULL, 0));
}
/* key NULL gives the first key; -ENOENT after the last. */
static inline int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
    return wasmbpf__ret(wasm_bpf_map_operate(fd, WASMBPF_MAP_GET_NEXT_KEY, (void *)key, NULL, next_key, 0));
}

/* libbpf 1.x's map-object forms. The sizes are not checked here (the guest does not know the
 * map's definition); the host checks value buffers of per-CPU maps. */
static inline int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz,
                                       void *value, size_t value_sz, uint64_t flags)
{
    (void)key_sz; (void)value_sz;
    return bpf_map_lookup_elem_flags(bpf_map__fd(map), key, value, flags);
}
static inline int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
                                       const void *value, size_t value_sz, uint64_t flags)
{
    (void)key_sz; (void)value_sz;
    return bpf_map_update_elem(bpf_map__fd(map), key, value, flags);
}
static inline int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz,
                                       uint64_t flags)
{
    (void)key_sz; (void)flags;
    return bpf_map_delete_elem(bpf_map__fd(map), key);
}
static inline int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key,
                                        void *next_key, size_t key_sz)
{
    (void)key_sz;
    return bpf_map_get_next_key(bpf_map__fd(map), cur_key, next_key);
}

/* ---- bpf_buffer: one API over ring buffers and perf event arrays (libbpf-tools' compat.h) ---- */
typedef int (*bpf_buffer_sample_fn)(void *ctx, void *data, size_t size);
typedef void (*bpf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);

#ifndef WASMBPF_BUFFER_SIZE
#define WASMBPF_BUFFER_SIZE (64 * 1024) /* the largest record a poll hands over whole */
#endif

struct bpf_buffer {
    struct bpf_map *events;
    int fd;
    bpf_buffer_sample_fn sample_fn;
    void *ctx;
    char *records;
};

/* The map's type is fixed in the .bpf.c, so `heap` (libbpf-tools' perf fallback) is unused. */
static inline struct bpf_buffer *bpf_buffer__new(struct bpf_map *events, struct bpf_map *heap)
{
    (void)heap;
    if (!events) {
        errno = EINVAL;
        return NULL;
    }
    struct bpf_buffer *b = calloc(1, sizeof(*b));
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    b->events = events;
    b->fd = -1;
    return b;
}

/* Lost perf samples are counted by the host and reported on stderr; lost_cb is not called. */
static inline int bpf_buffer__open(struct bpf_buffer *b, bpf_buffer_sample_fn sample_cb,
                                   bpf_buffer_lost_fn lost_cb, void *ctx)
{
    (void)lost_cb;
    if (!b || !sample_cb)
        return -(errno = EINVAL);
    int fd = bpf_map__fd(b->events);
    if (fd < 0)
        return fd;
    if (!b->records && !(b->records = malloc(WASMBPF_BUFFER_SIZE)))
        return -(errno = ENOMEM);
    b->fd = fd;
    b->sample_fn = sample_cb;
    b->ctx = ctx;
    /* The host makes its buffer for a map at the first poll, and a perf event array drops
     * what is written while no buffer is open: poll once now (records already there reach
     * sample_cb), so nothing emitted after open is lost. */
    int err = wasmbpf__ret(wasm_bpf_buffer_poll(b->events->obj->handle, fd, (int32_t)(uintptr_t)sample_cb,
                                                (uint32_t)(uintptr_t)ctx, b->records, WASMBPF_BUFFER_SIZE, 0));
    /* A stop that arrives while the tool is still setting up is seen by its first real poll,
     * which then ends the loop cleanly: opening the buffer has not failed. */
    return err < 0 && err != -EINTR ? err : 0;
}

/* Waits up to timeout_ms and calls sample_cb for every record; 0 or -errno. -EINTR means the
 * host is stopping the module (SIGINT/SIGTERM): leave the loop, clean up, return from main. */
static inline int bpf_buffer__poll(struct bpf_buffer *b, int timeout_ms)
{
    if (!b || b->fd < 0)
        return -(errno = EINVAL);
    return wasmbpf__ret(wasm_bpf_buffer_poll(b->events->obj->handle, b->fd,
                                             (int32_t)(uintptr_t)b->sample_fn,
                                             (uint32_t)(uintptr_t)b->ctx, b->records,
                                             WASMBPF_BUFFER_SIZE, timeout_ms));
}

static inline void bpf_buffer__free(struct bpf_buffer *b)
{
    if (!b)
        return;
    free(b->records);
    free(b);
}

/* ---- libbpf's ring_buffer__* and perf_buffer__*, for code written against them ----
 * Each record reaches sample_cb through a small trampoline that also counts it, so
 * ring_buffer__poll returns the number of records, like libbpf. The host does not say which
 * CPU a perf record came from: perf sample callbacks get cpu 0. Lost samples are reported by
 * the host on stderr; lost_cb is not called. */
typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
typedef void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size);
typedef void (*perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);
struct ring_buffer_opts { size_t sz; };
struct perf_buffer_opts { size_t sz; };

#define WASMBPF__MAX_RINGS 8

struct wasmbpf__source {
    wasm_bpf_handle handle;
    int fd;
    ring_buffer_sample_fn ring_fn;
    perf_buffer_sample_fn perf_fn;
    void *ctx;
    int *count;
};

struct ring_buffer {
    struct wasmbpf__source src[WASMBPF__MAX_RINGS];
    int n;
    int count;
    char *records;
};
struct perf_buffer {
    struct ring_buffer rb; /* the same machinery with a perf callback */
};

static inline int wasmbpf__ring_trampoline(void *ctx, void *data, size_t size)
{
    struct wasmbpf__source *src = ctx;
    (*src->count)++;
    return src->ring_fn(src->ctx, data, size);
}

static inline int wasmbpf__perf_trampoline(void *ctx, void *data, size_t size)
{
    struct wasmbpf__source *src = ctx;
    (*src->count)++;
    src->perf_fn(src->ctx, 0, data, (__u32)size);
    return 0;
}

/* The object that owns map fd `fd` among this file's loaded objects; 0 if none. */
static inline wasm_bpf_handle wasmbpf__handle_of_fd(int fd)
{
    for (int i = 0; i < WASMBPF__MAX_OBJECTS; i++) {
        struct bpf_object *obj = wasmbpf__objects[i];
        const struct bpf_object_skeleton *s = obj ? obj->skel : NULL;
        for (int j = 0; s && j < s->map_cnt; j++)
            if ((*WASMBPF__MAP_SKEL(s, j)->map)->fd == fd)
                return obj->handle;
    }
    return 0;
}

/* One poll that waits for nothing: the host opens its buffer for the map now (see bpf_buffer__open). */
static inline int wasmbpf__prime(struct wasmbpf__source *src, char *records)
{
    int32_t tramp = (int32_t)(uintptr_t)(src->perf_fn ? wasmbpf__perf_trampoline : wasmbpf__ring_trampoline);
    int err = wasmbpf__ret(wasm_bpf_buffer_poll(src->handle, src->fd, tramp, (uint32_t)(uintptr_t)src,
                                                records, WASMBPF_BUFFER_SIZE, 0));
    return err < 0 && err != -EINTR ? err : 0; /* a stop during setup is seen by the first real poll */
}

static inline int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb, void *ctx)
{
    if (!rb || !sample_cb)
        return -(errno = EINVAL);
    if (rb->n == WASMBPF__MAX_RINGS)
        return -(errno = E2BIG);
    wasm_bpf_handle h = wasmbpf__handle_of_fd(map_fd);
    if (!h)
        return -(errno = ENOENT);
    struct wasmbpf__source *src = &rb->src[rb->n++];
    *src = (struct wasmbpf__source){ .handle = h, .fd = map_fd, .ring_fn = sample_cb, .ctx = ctx, .count = &rb->count };
    return wasmbpf__prime(src, rb->records);
}

static inline void ring_buffer__free(struct ring_buffer *rb)
{
    if (!rb)
        return;
    free(rb->records);
    free(rb);
}

static inline struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
                                                   const struct ring_buffer_opts *opts)
{
    (void)opts;
    struct ring_buffer *rb = calloc(1, sizeof(*rb));
    if (!rb || !(rb->records = malloc(WASMBPF_BUFFER_SIZE))) {
        ring_buffer__free(rb);
        errno = ENOMEM;
        return NULL;
    }
    if (ring_buffer__add(rb, map_fd, sample_cb, ctx) < 0) {
        int err = errno;
        ring_buffer__free(rb);
        errno = err;
        return NULL;
    }
    return rb;
}

/* The number of records handed to the callbacks, or -errno (-EINTR: the host is stopping). */
static inline int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
    rb->count = 0;
    for (int i = 0; i < rb->n; i++) {
        struct wasmbpf__source *src = &rb->src[i];
        int32_t tramp = (int32_t)(uintptr_t)(src->perf_fn ? wasmbpf__perf_trampoline : wasmbpf__ring_trampoline);
        /* Wait on the first source only; then take what the others already have. */
        int err = wasmbpf__ret(wasm_bpf_buffer_poll(src->handle, src->fd, tramp, (uint32_t)(uintptr_t)src,
                                                    rb->records, WASMBPF_BUFFER_SIZE, i == 0 ? timeout_ms : 0));
        if (err < 0)
            return err;
    }
    return rb->count;
}

static inline int ring_buffer__consume(struct ring_buffer *rb)
{
    return ring_buffer__poll(rb, 0);
}

static inline void perf_buffer__free(struct perf_buffer *pb)
{
    if (!pb)
        return;
    free(pb->rb.records);
    free(pb);
}

static inline struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn sample_cb,
                                                   perf_buffer_lost_fn lost_cb, void *ctx,
                                                   const struct perf_buffer_opts *opts)
{
    (void)page_cnt; (void)lost_cb; (void)opts;
    if (!sample_cb) {
        errno = EINVAL;
        return NULL;
    }
    struct perf_buffer *pb = calloc(1, sizeof(*pb));
    wasm_bpf_handle h = wasmbpf__handle_of_fd(map_fd);
    if (!pb || !h || !(pb->rb.records = malloc(WASMBPF_BUFFER_SIZE))) {
        int err = !pb || h ? ENOMEM : ENOENT;
        if (pb)
            free(pb->rb.records);
        free(pb);
        errno = err;
        return NULL;
    }
    pb->rb.src[0] = (struct wasmbpf__source){ .handle = h, .fd = map_fd, .perf_fn = sample_cb, .ctx = ctx, .count = &pb->rb.count };
    pb->rb.n = 1;
    int err = wasmbpf__prime(&pb->rb.src[0], pb->rb.records);
    if (err < 0) {
        perf_buffer__free(pb);
        errno = -err;
        return NULL;
    }
    return pb;
}

static inline int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)
{
    return ring_buffer__poll(&pb->rb, timeout_ms);
}


#endif /* WASMBPF_LIBBPF_WASM_H */
