/* eBPF side of the container benchmarks (bench/containers.ts): a tracepoint on getpgid(2) that
 * puts one record in a ring buffer when the argument is the benchmark's marker, so the ticker
 * (ticker.c) makes events at a known rate and nothing else on the machine does. A syscall
 * tracepoint needs no file path: a uprobe's target binary would not be visible inside the runc
 * container's root file system. Names start wbc_ (eBPF names are 15 characters at most). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* getpgid(FIRSTEVENT_MARKER) fails with ESRCH: it is above any pid_max (4194304 at most). */
#define FIRSTEVENT_MARKER 987654321

struct record { __u64 seq; __u64 ts; };

/* The tracepoint's format (events/syscalls/sys_enter_getpgid/format): 8 bytes of common
 * fields, the syscall number, then the argument at offset 16. */
struct sys_enter_getpgid { __u64 common; int nr; int pad; __u64 pid; };

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 1024); } wbc_events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } wbc_seq SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbc_on_getpgid(struct sys_enter_getpgid *ctx)
{
	if (ctx->pid != FIRSTEVENT_MARKER)
		return 0;
	__u32 k = 0;
	__u64 *seq = bpf_map_lookup_elem(&wbc_seq, &k);
	struct record *r = bpf_ringbuf_reserve(&wbc_events, sizeof(*r), 0);
	if (!r)
		return 0;
	r->seq = seq ? __sync_fetch_and_add(seq, 1) : 0;
	r->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(r, 0);
	return 0;
}
