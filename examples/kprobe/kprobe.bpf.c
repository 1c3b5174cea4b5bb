// SPDX-License-Identifier: GPL-2.0
/* kprobe: libbpf-bootstrap's kprobe example, through a ring buffer instead of the trace pipe:
 * a kprobe on do_unlinkat() sends the pid and the path being unlinked, a kretprobe its return
 * value. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wasmbpf_shared.h"
#include "kprobe.h"

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(do_unlinkat, int dfd, struct filename *name)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = 0;
	e->exit_event = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(name, name)) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(do_unlinkat_exit, long ret)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = ret;
	e->exit_event = 1;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
