// SPDX-License-Identifier: GPL-2.0
/* fentry: libbpf-bootstrap's fentry example, through a ring buffer instead of the trace pipe:
 * an fentry program on do_unlinkat() sends the pid and the path being unlinked, an fexit program
 * the path and the return value (fexit sees the arguments too). BPF trampolines: x86_64 from
 * Linux 5.5, arm64 from 6.4. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wasmbpf_shared.h"
#include "fentry.h"

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline int send(struct filename *name, long ret, __u8 exit_event)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = ret;
	e->exit_event = exit_event;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(name, name)) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(do_unlinkat, int dfd, struct filename *name)
{
	return send(name, 0, 0);
}

SEC("fexit/do_unlinkat")
int BPF_PROG(do_unlinkat_exit, int dfd, struct filename *name, long ret)
{
	return send(name, ret, 1);
}

char LICENSE[] SEC("license") = "GPL";
