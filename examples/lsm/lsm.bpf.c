// SPDX-License-Identifier: GPL-2.0
/* lsm: a BPF LSM program on the path_mkdir hook that denies (-EPERM) creating a directory of one
 * name, anywhere, and reports who tried. The name is rodata set by the guest before load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wasmbpf_shared.h"
#include "lsm.h"

#define EPERM 1

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

const volatile char targ_name[NAME_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("lsm/path_mkdir")
int BPF_PROG(deny_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret) /* an earlier LSM program denied it already */
		return ret;
	char name[NAME_LEN];
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name)) < 0)
		return 0;
	for (int i = 0; i < NAME_LEN; i++) {
		if (name[i] != targ_name[i])
			return 0;
		if (!name[i])
			break;
	}
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		__builtin_memcpy(e->name, name, sizeof(e->name));
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
