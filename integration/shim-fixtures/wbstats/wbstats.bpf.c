// SPDX-License-Identifier: GPL-2.0
/* The observability tests' eBPF side: each getpgid(marker) (the marker set by the module from its
 * argument, so concurrent instances count only their own calls) puts one record in a ring buffer
 * and one in a perf buffer. Perf records are 200 bytes so that a slow consumer overflows the
 * 64-page per-CPU perf buffer after about 1,200 of them; the ring buffer (1 MiB) holds 40,000. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct getpgid_enter { __u64 common; __s32 nr; __u32 pad; __u64 pid; };
struct big { __u64 seq; __u8 fill[192]; };

const volatile __u64 marker = 0;

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1024 * 1024); } wbstats_ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(__u32)); __uint(value_size, sizeof(__u32)); } wbstats_perf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct big); } wbstats_scratch SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int wbstats_emit(struct getpgid_enter *ctx)
{
	__u32 zero = 0;
	if (!marker || ctx->pid != marker)
		return 0;
	__u64 *r = bpf_ringbuf_reserve(&wbstats_ring, sizeof(*r), 0);
	if (r) {
		*r = marker;
		bpf_ringbuf_submit(r, 0);
	}
	struct big *b = bpf_map_lookup_elem(&wbstats_scratch, &zero);
	if (!b)
		return 0;
	b->seq++;
	bpf_perf_event_output(ctx, &wbstats_perf, BPF_F_CURRENT_CPU, b, sizeof(*b));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
