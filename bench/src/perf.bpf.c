// The perf buffer workload's eBPF object: wbb_perf_emit sends one 16-byte record through a perf
// event array per record of each getpgid(TOKEN) burst of the trigger (events.bpf.h). A separate object from
// bench.bpf.o because wasmbpf opens a perf event array's buffers when the object is loaded: the
// other workloads would pay for buffers they do not use, and the native side would not.
#include "events.bpf.h"

struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(__u32)); __uint(value_size, sizeof(__u32)); } wbb_perf SEC(".maps");

SEC("tp/syscalls/sys_enter_getpgid")
int wbb_perf_emit(struct getpgid_enter *ctx)
{
	__u32 batch = batch_of(ctx);
	for (__u32 i = 0; i < MAX_BATCH && i < batch; i++) {
		__s64 seq = next_seq();
		if (seq < 0)
			return 0;
		struct record r = { .seq = (__u64)seq, .ts = bpf_ktime_get_ns() };
		if (bpf_perf_event_output(ctx, &wbb_perf, BPF_F_CURRENT_CPU, &r, sizeof(r)) < 0)
			count_failure();
	}
	return 0;
}
