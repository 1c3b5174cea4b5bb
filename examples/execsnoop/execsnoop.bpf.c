// SPDX-License-Identifier: GPL-2.0
/* execsnoop: every successful exec with its full argv, read after the exec from the new
 * process's memory (mm->arg_start .. arg_end), as libbpf-tools' execsnoop shows it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "execsnoop.h"
#include "wasmbpf_shared.h"

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

const volatile __u32 targ_uid = (__u32)-1; /* -u UID: only this user's execs */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	if (targ_uid != (__u32)-1 && uid != targ_uid)
		return 0;

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	e->retval = 0; /* sched_process_exec fires only once the exec has succeeded */
	bpf_get_current_comm(&e->comm, sizeof(e->comm));

	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = arg_end - arg_start;
	e->args_truncated = 0;
	if (len > ARGS_SIZE - 1) {
		len = ARGS_SIZE - 1;
		e->args_truncated = 1;
	}
	/* One comparison of len, then a mask the compiler must keep (barrier_var): older verifiers
	 * (Linux 6.1) follow the impossible branch of two comparisons of len (umin 1024 > umax
	 * 1022) and, with the mask folded away, reject the store below ("R6 invalid mem access
	 * 'scalar'"); libbpf-tools bounds its variable offsets the same way. */
	barrier_var(len);
	len &= ARGS_SIZE - 1;
	if (bpf_probe_read_user(e->args, len, (void *)arg_start))
		len = 0;
	e->args[len] = '\0';
	e->args_size = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
