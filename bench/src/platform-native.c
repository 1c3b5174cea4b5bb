/* The benchmark platform on libbpf, the way a libbpf-bootstrap tool uses it: the object is
 * opened from memory (as the Wasm guest embeds it), map operations use the fd-based
 * bpf_map_*_elem calls, records come through ring_buffer__poll / perf_buffer__poll and a C
 * callback. The perf buffer has as many pages per CPU as wasmbpf's (runtime/bpf/event-buffer.ts). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "objects.h"
#include "platform.h"

#define PERF_BUFFER_PAGES 64

static struct bpf_object *obj;
static struct bpf_link *link;
static struct ring_buffer *rb;
static struct perf_buffer *pb;
static record_fn perf_fn;
static uint64_t perf_lost;

int plat_load(enum plat_object which)
{
	const unsigned char *bytes = which == OBJ_PERF ? perf_bpf_o : bench_bpf_o;
	size_t len = which == OBJ_PERF ? perf_bpf_o_len : bench_bpf_o_len;
	obj = bpf_object__open_mem(bytes, len, NULL);
	if (!obj) return -errno;
	return bpf_object__load(obj);
}

int plat_attach(const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) return -ENOENT;
	link = bpf_program__attach(prog);
	return link ? 0 : -errno;
}

int plat_map_fd(const char *name)
{
	return bpf_object__find_map_fd_by_name(obj, name);
}

int plat_lookup(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem(fd, key, value);
}

int plat_update(int fd, const void *key, const void *value)
{
	return bpf_map_update_elem(fd, key, value, BPF_ANY);
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	perf_fn(ctx, data, size);
}

static void on_perf_lost(void *ctx, int cpu, __u64 count)
{
	(void)ctx;
	(void)cpu;
	perf_lost += count;
}

int plat_buffer_open(int fd, int perf, record_fn fn, void *ctx)
{
	if (!perf) {
		rb = ring_buffer__new(fd, fn, ctx, NULL);
		return rb ? 0 : -errno;
	}
	perf_fn = fn;
	pb = perf_buffer__new(fd, PERF_BUFFER_PAGES, on_perf_sample, on_perf_lost, ctx, NULL);
	return pb ? 0 : -errno;
}

int plat_buffer_poll(int timeout_ms)
{
	return rb ? ring_buffer__poll(rb, timeout_ms) : perf_buffer__poll(pb, timeout_ms);
}

uint64_t plat_buffer_lost(void)
{
	return perf_lost;
}

void plat_close(void)
{
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
}
