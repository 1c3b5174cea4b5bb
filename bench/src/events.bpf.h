/* What the ring and perf programs share: the record, the per-run token that picks the trigger's
 * syscalls out of everyone else's, and the counters. The producer is the tracepoint of
 * getpgid(2): the trigger calls getpgid(TOKEN) in a loop, with TOKEN a pid no process can have
 * (above PID_MAX_LIMIT), so each call fails with ESRCH at once and costs one cheap syscall; the
 * consumer writes TOKEN into wbb_config before it attaches, so two benchmarks running at once, or
 * another process calling getpgid, never feed each other's buffers.
 * Each hit emits wbb_config[1] records (1 to MAX_BATCH), one by one: a burst, the way a busy
 * source emits several events per wake-up. With one record per hit the perf buffer wakes its
 * consumer for every record (libbpf's perf_buffer__new sets wakeup_events = 1), and each of
 * those wake-ups is a self-IPI that costs this VM about 40 us; records emitted in the same
 * syscall share one wake-up. */
#ifndef BENCH_EVENTS_BPF_H
#define BENCH_EVENTS_BPF_H
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct record { __u64 seq; __u64 ts; };

/* /sys/kernel/tracing/events/syscalls/sys_enter_getpgid/format */
struct getpgid_enter { __u64 common; __s32 nr; __u32 pad; __u64 pid; };

#define MAX_BATCH 64
enum { CONFIG_TOKEN, CONFIG_BATCH };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } wbb_config SEC(".maps");
/* [STAT_EMITTED] records the program tried to emit (their seq numbers are 0..n-1), [STAT_FAILED]
 * those the kernel refused (ring buffer reserve or perf output failure). */
enum { STAT_EMITTED, STAT_FAILED };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u64); } wbb_stats SEC(".maps");

/* How many records this getpgid emits: 0 when it is not the trigger's. */
static __always_inline __u32 batch_of(const struct getpgid_enter *ctx)
{
	__u32 k = CONFIG_TOKEN;
	__u64 *token = bpf_map_lookup_elem(&wbb_config, &k);
	if (!token || !*token || ctx->pid != *token)
		return 0;
	k = CONFIG_BATCH;
	__u64 *batch = bpf_map_lookup_elem(&wbb_config, &k);
	return !batch || *batch < 1 ? 1 : *batch > MAX_BATCH ? MAX_BATCH : (__u32)*batch;
}

/* The next record's seq: 0, 1, 2, ... over the run. */
static __always_inline __s64 next_seq(void)
{
	__u32 k = STAT_EMITTED;
	__u64 *emitted = bpf_map_lookup_elem(&wbb_stats, &k);
	if (!emitted)
		return -1;
	return (__s64)__sync_fetch_and_add(emitted, 1);
}

static __always_inline void count_failure(void)
{
	__u32 k = STAT_FAILED;
	__u64 *failed = bpf_map_lookup_elem(&wbb_stats, &k);
	if (failed)
		__sync_fetch_and_add(failed, 1);
}
#endif
