// SPDX-License-Identifier: GPL-2.0
/* The soak test's eBPF side: a tracepoint program and a ring buffer with names no other test
 * uses (wbsoak_*), so the test can count exactly its own objects with bpftool while other
 * tests load theirs on the same machine. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} wbsoak_events SEC(".maps");

SEC("tp/sched/sched_process_exec")
int wbsoak_exec(void *ctx)
{
	__u32 *pid = bpf_ringbuf_reserve(&wbsoak_events, sizeof(*pid), 0);
	if (!pid)
		return 0;
	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_submit(pid, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
