/* The container benchmarks' tool, compiled once against libbpf (native, static, in a runc
 * container image) and once for wasm32-wasi on the wasm_bpf host imports (the wasmbpf image):
 * the same C around a platform part of a few lines each (self-contained, so the workloads'
 * platform.h can change without touching it). It loads firstevent.bpf.o (embedded as
 * firstevent_bpf_o, the way a wasm-bpf guest embeds its object), opens the ring buffer, attaches
 * the tracepoint and prints "attached"; then
 *   firstevent first   prints "event SEQ" for the first record and exits 0 (ctr run to first event)
 *   firstevent hold    keeps consuming until SIGTERM/SIGINT, then exits 0 (a module held loaded
 *                      and attached, for the shim's memory)
 *   firstevent pause   (native only) loads nothing, waits for SIGTERM/SIGINT: the pod's
 *                      sandbox container in the memory figure */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "firstevent-object.h"

typedef int (*record_fn)(void *ctx, void *data, size_t size);

#ifdef __wasi__
#define IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(name)))
IMPORT("wasm_load_bpf_object") uint64_t wasm_load_bpf_object(const void *buf, int len);
IMPORT("wasm_attach_bpf_program") int wasm_attach_bpf_program(uint64_t obj, const char *name, const char *target);
IMPORT("wasm_bpf_buffer_poll") int wasm_bpf_buffer_poll(uint64_t obj, int fd, int32_t fn, uint32_t ctx, char *buf, int len, int timeout_ms);
IMPORT("wasm_bpf_map_fd_by_name") int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);
IMPORT("wasm_close_bpf_object") int wasm_close_bpf_object(uint64_t obj);

static uint64_t obj;
static int ring_fd = -1;
static record_fn ring_fn;
static char record_buf[64];

static int load(void) { obj = wasm_load_bpf_object(firstevent_bpf_o, (int)firstevent_bpf_o_len); return obj ? 0 : -1; }
static int ring_open(const char *map, record_fn fn) { ring_fd = wasm_bpf_map_fd_by_name(obj, map); ring_fn = fn; return ring_fd < 0 ? ring_fd : 0; }
static int attach(const char *prog) { return wasm_attach_bpf_program(obj, prog, NULL); }
static int poll_ring(int timeout_ms)
{
	return wasm_bpf_buffer_poll(obj, ring_fd, (int32_t)(uintptr_t)ring_fn, 0, record_buf, sizeof(record_buf), timeout_ms);
}
static void close_all(void) { wasm_close_bpf_object(obj); }
#else
#include <signal.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static struct bpf_object *obj;
static struct bpf_link *tp_link;
static struct ring_buffer *rb;

static int load(void)
{
	obj = bpf_object__open_mem(firstevent_bpf_o, firstevent_bpf_o_len, NULL);
	return obj ? bpf_object__load(obj) : -errno;
}
static int ring_open(const char *map, record_fn fn)
{
	int fd = bpf_object__find_map_fd_by_name(obj, map);
	if (fd < 0) return fd;
	rb = ring_buffer__new(fd, fn, NULL, NULL);
	return rb ? 0 : -errno;
}
static int attach(const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);
	if (!prog) return -ENOENT;
	tp_link = bpf_program__attach(prog);
	return tp_link ? 0 : -errno;
}
static int poll_ring(int timeout_ms) { return ring_buffer__poll(rb, timeout_ms); }
static void close_all(void)
{
	ring_buffer__free(rb);
	bpf_link__destroy(tp_link);
	bpf_object__close(obj);
}
static void on_stop(int sig) { (void)sig; }
#endif

struct record { uint64_t seq; uint64_t ts; };

static int first_seen;
static uint64_t first_seq;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (!first_seen && size >= sizeof(struct record)) {
		first_seen = 1;
		first_seq = ((const struct record *)data)->seq;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int hold = !strcmp(mode, "hold");
#ifndef __wasi__
	/* No SA_RESTART: a stop interrupts ring_buffer__poll with -EINTR, as the wasmbpf host
	 * does for a guest. A handler is needed at all because the tool is pid 1 in its container. */
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(mode, "pause")) {
		pause();
		return 0;
	}
#endif
	if (!hold && strcmp(mode, "first")) {
		fprintf(stderr, "usage: firstevent first|hold|pause\n");
		return 2;
	}
	int r = load();
	if (!r) r = ring_open("wbc_events", on_record);
	if (!r) r = attach("wbc_on_getpgid");
	if (r) {
		fprintf(stderr, "firstevent: load, ring buffer or attach failed: %d\n", r);
		close_all();
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while ((r = poll_ring(100)) >= 0) {
		if (first_seen && !hold) {
			printf("event %llu\n", (unsigned long long)first_seq);
			fflush(stdout);
			break;
		}
	}
	close_all();
	if (r < 0 && r != -EINTR) {
		fprintf(stderr, "firstevent: poll failed: %d\n", r);
		return 1;
	}
	return 0;
}
