/* The benchmark platform on the wasm_bpf host imports (docs/abi.md), called directly the way
 * wasm-bpf's C guests call them: map operations are wasm_bpf_map_operate with guest pointers,
 * records (ring buffer or perf event array alike) are copied into a guest buffer and handed to
 * the callback through the function table. */
#include <stdint.h>
#include "objects.h"
#include "platform.h"

#define IMPORT(name) __attribute__((import_module("wasm_bpf"), import_name(name)))
IMPORT("wasm_load_bpf_object") uint64_t wasm_load_bpf_object(const void *buf, int len);
IMPORT("wasm_attach_bpf_program") int wasm_attach_bpf_program(uint64_t obj, const char *name, const char *target);
IMPORT("wasm_bpf_buffer_poll") int wasm_bpf_buffer_poll(uint64_t obj, int fd, int32_t fn, uint32_t ctx, char *buf, int len, int timeout_ms);
IMPORT("wasm_bpf_map_fd_by_name") int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);
IMPORT("wasm_bpf_map_operate") int wasm_bpf_map_operate(int fd, int cmd, const void *key, void *value, void *next_key, uint64_t flags);
IMPORT("wasm_close_bpf_object") int wasm_close_bpf_object(uint64_t obj);

enum { CMD_LOOKUP = 1, CMD_UPDATE = 2 };

static uint64_t obj;
static int buffer_fd = -1;
static record_fn buffer_fn;
static void *buffer_ctx;
static char record_buf[64];

int plat_load(enum plat_object which)
{
	obj = which == OBJ_PERF ? wasm_load_bpf_object(perf_bpf_o, (int)perf_bpf_o_len)
				: wasm_load_bpf_object(bench_bpf_o, (int)bench_bpf_o_len);
	return obj ? 0 : -1;
}

int plat_attach(const char *name)
{
	return wasm_attach_bpf_program(obj, name, NULL);
}

int plat_map_fd(const char *name)
{
	return wasm_bpf_map_fd_by_name(obj, name);
}

int plat_lookup(int fd, const void *key, void *value)
{
	return wasm_bpf_map_operate(fd, CMD_LOOKUP, key, value, NULL, 0);
}

int plat_update(int fd, const void *key, const void *value)
{
	return wasm_bpf_map_operate(fd, CMD_UPDATE, key, (void *)value, NULL, 0);
}

int plat_buffer_open(int fd, int perf, record_fn fn, void *ctx)
{
	(void)perf; /* the host tells the two apart by the map's type */
	buffer_fd = fd;
	buffer_fn = fn;
	buffer_ctx = ctx;
	return 0;
}

int plat_buffer_poll(int timeout_ms)
{
	return wasm_bpf_buffer_poll(obj, buffer_fd, (int32_t)(uintptr_t)buffer_fn, (uint32_t)(uintptr_t)buffer_ctx,
				    record_buf, sizeof(record_buf), timeout_ms);
}

uint64_t plat_buffer_lost(void)
{
	return 0;
}

void plat_close(void)
{
	wasm_close_bpf_object(obj);
}
