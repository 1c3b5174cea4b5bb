/* The benchmark platform on libbpf, the way a libbpf-bootstrap tool uses it: the object is
 * opened from memory (as the Wasm guest embeds it), map operations use the fd-based
 * bpf_map_*_elem calls, records come through ring_buffer__poll and a C callback. */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "objects.h"
#include "platform.h"

static struct bpf_object *obj;
static struct bpf_link *link;
static struct ring_buffer *rb;

int plat_load(void)
{
	obj = bpf_object__open_mem(bench_bpf_o, bench_bpf_o_len, NULL);
	if (!obj) return -errno;
	return bpf_object__load(obj);
}

int plat_attach(void)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "wbb_on_record");
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

int plat_ring_open(int fd, record_fn fn, void *ctx)
{
	rb = ring_buffer__new(fd, fn, ctx, NULL);
	return rb ? 0 : -errno;
}

int plat_ring_poll(int timeout_ms)
{
	return ring_buffer__poll(rb, timeout_ms);
}

void plat_close(void)
{
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
}
