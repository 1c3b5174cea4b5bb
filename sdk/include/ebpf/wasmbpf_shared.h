/* SPDX-License-Identifier: MIT */
/*
 * For the eBPF side of a tool (NAME.bpf.c; the toolchain puts this folder on its include path).
 *
 * WASMBPF_SHARED(struct event) makes sure `struct event` reaches the object's BTF, where the
 * toolchain generates the wasm32 definition the guest includes (NAME.wasm.h). clang emits BTF
 * only for types a global, a map or a function signature uses; a ring buffer record written
 * through a local pointer does not count.
 *
 * It costs one instance of the struct in .bss. Cheaper forms do not work: a pointer global is
 * 4 bytes on wasm32 (bpftool's skeleton rightly asserts its size), a pointer inside a union
 * reaches BTF only as a forward declaration, and a zero-length array makes an empty .bss that
 * libbpf refuses. An instance has the same size on both sides, because the wasm32 definition
 * is generated to match the kernel layout byte for byte.
 */
#ifndef WASMBPF_SHARED_H
#define WASMBPF_SHARED_H

#define WASMBPF__CAT2(a, b) a##b
#define WASMBPF__CAT(a, b) WASMBPF__CAT2(a, b)
#define WASMBPF_SHARED(type) type WASMBPF__CAT(__wasmbpf_shared_, __LINE__) __attribute__((unused))

#endif /* WASMBPF_SHARED_H */
