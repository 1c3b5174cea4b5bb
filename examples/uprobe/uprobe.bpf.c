// SPDX-License-Identifier: GPL-2.0
/* uprobe: an entry probe and a return probe on a user-space function taking two integers.
 * The guest attaches both to the binary and function named on its command line. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "wasmbpf_shared.h"
#include "uprobe.h"

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void submit(bool is_return, long a, long b, long ret)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->is_return = is_return;
	e->arg1 = a;
	e->arg2 = b;
	e->ret = ret;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_entry, long a, long b)
{
	/* int arguments arrive in 64-bit registers; keep the low 32 bits, sign-extended */
	submit(false, (int)a, (int)b, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uprobe_return, long ret)
{
	submit(true, 0, 0, (int)ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
