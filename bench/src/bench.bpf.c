// The main eBPF object of the benchmarks, shared by the native and the Wasm program: a hash map
// for the map-operation workloads, and wbb_ring_emit, which puts one 16-byte record in a ring
// buffer per record of each getpgid(TOKEN) burst of the trigger (events.bpf.h). The start-up workload loads this
// object and attaches wbb_ring_emit.
#include "events.bpf.h"

/* 1,000,000 records of 16 bytes plus an 8-byte header each (24 MB) fit: a consumer that falls
 * behind, even one that stalls for the whole run, loses nothing. */
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 32 * 1024 * 1024); } wbb_ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u64); } wbb_hash SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int wbb_ring_emit(struct getpgid_enter *ctx)
{
	__u32 batch = batch_of(ctx);
	for (__u32 i = 0; i < MAX_BATCH && i < batch; i++) {
		__s64 seq = next_seq();
		if (seq < 0)
			return 0;
		struct record *r = bpf_ringbuf_reserve(&wbb_ring, sizeof(*r), 0);
		if (!r) {
			count_failure();
			continue;
		}
		r->seq = (__u64)seq;
		r->ts = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	}
	return 0;
}
