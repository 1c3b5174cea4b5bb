// eBPF side of the benchmarks, shared by the native and the Wasm program: a hash map for the
// map-operation workloads, and a uprobe on the trigger's bench_record(seq) that puts one record
// per call in a ring buffer. `wbb_produced` counts records reserved, so a consumer can wait for
// the producer to finish before draining.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct record { __u64 seq; __u64 ts; };

/* 200,000 records of 16 bytes plus an 8-byte header each fit with room to spare. */
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 16 * 1024 * 1024); } wbb_ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u64); } wbb_hash SEC(".maps");
/* [0] records produced, [1] records dropped (ring buffer full). */
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } wbb_stats SEC(".maps");

SEC("uprobe/" TRIGGER_BIN ":bench_record")
int BPF_KPROBE(wbb_on_record, long seq)
{
	__u32 k = 0;
	struct record *r = bpf_ringbuf_reserve(&wbb_ring, sizeof(*r), 0);
	if (!r)
		k = 1;
	else {
		r->seq = seq;
		r->ts = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	}
	__u64 *count = bpf_map_lookup_elem(&wbb_stats, &k);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}
