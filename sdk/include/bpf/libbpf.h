/* SPDX-License-Identifier: MIT */
/* `bpftool gen skeleton` headers include <bpf/libbpf.h>; for a Wasm guest that is libbpf-wasm.h. */
#include "../libbpf-wasm.h"
