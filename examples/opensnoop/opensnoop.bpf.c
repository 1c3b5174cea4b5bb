// SPDX-License-Identifier: GPL-2.0
/* opensnoop: openat() calls with their result, as libbpf-tools' opensnoop. The enter
 * tracepoint remembers the arguments per thread; the exit tracepoint sends the record
 * through a perf event array. Filters (pid, command name, failed only) are rodata. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "wasmbpf_shared.h"
#include "opensnoop.h"

WASMBPF_SHARED(struct event); /* its wasm32 layout is generated from BTF */

const volatile pid_t targ_pid = 0;
const volatile bool targ_failed = false;
const volatile char targ_comm[TASK_COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline bool comm_allowed(void)
{
	char comm[TASK_COMM_LEN];
	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32, tid = (u32)id;

	if (targ_pid && targ_pid != pid)
		return 0;
	if (!comm_allowed())
		return 0;
	struct args_t args = {};
	args.fname = (u64)ctx->args[1];
	args.flags = (int)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct args_t *ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0; /* missed the entry, or filtered out */

	int ret = ctx->ret;
	if (targ_failed && ret >= 0)
		goto cleanup;

	struct event event = {};
	event.pid = bpf_get_current_pid_tgid() >> 32;
	event.uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&event.comm, sizeof(event.comm));
	bpf_probe_read_user_str(&event.fname, sizeof(event.fname), (const void *)ap->fname);
	event.flags = ap->flags;
	event.ret = ret;
	event.ts = bpf_ktime_get_ns();
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &event, sizeof(event));
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
