// SPDX-License-Identifier: GPL-2.0
/* biolatency: block device I/O latency as a log2 histogram (libbpf-tools biolatency). A
 * request is stamped when it is issued to the device (or inserted into the queue, with -Q)
 * and measured when it completes; tp_btf tracepoints give the typed struct request. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "biolatency.h"

#define MINORBITS 20
#define MKDEV(ma, mi) (((ma) << MINORBITS) | (mi))

const volatile bool targ_per_disk = false;  /* -D */
const volatile bool targ_per_flag = false;  /* -F */
const volatile bool targ_queued = false;    /* -Q: include time queued in the kernel */
const volatile bool targ_ms = false;        /* -m */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

static struct hist initial_hist;

static __always_inline int trace_rq_start(struct request *rq, bool insert)
{
	if (insert && !targ_queued)
		return 0;
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

static __always_inline unsigned int log2l(u64 v)
{
	unsigned int r = 0;
	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq)
{
	return trace_rq_start(rq, true);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq)
{
	/* With -Q the insert stamp stands; without, the issue stamp does. */
	if (targ_queued && bpf_map_lookup_elem(&start, &rq))
		return 0;
	return trace_rq_start(rq, false);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	u64 *tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp)
		return 0;
	s64 delta = (s64)(bpf_ktime_get_ns() - *tsp);
	bpf_map_delete_elem(&start, &rq);
	if (delta < 0)
		return 0;

	struct hist_key hkey = {};
	if (targ_per_disk) {
		struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
		if (disk)
			hkey.dev = MKDEV(BPF_CORE_READ(disk, major), BPF_CORE_READ(disk, first_minor));
	}
	if (targ_per_flag)
		hkey.flags = BPF_CORE_READ(rq, cmd_flags);

	struct hist *histp = bpf_map_lookup_elem(&hists, &hkey);
	if (!histp) {
		bpf_map_update_elem(&hists, &hkey, &initial_hist, BPF_NOEXIST);
		histp = bpf_map_lookup_elem(&hists, &hkey);
		if (!histp)
			return 0;
	}
	delta /= targ_ms ? 1000000U : 1000U;
	u64 slot = log2l((u64)delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&histp->slots[slot], 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
