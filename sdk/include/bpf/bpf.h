/* SPDX-License-Identifier: MIT */
/* <bpf/bpf.h>'s map operations, for guest code written against libbpf: see libbpf-wasm.h. */
#include "../libbpf-wasm.h"
