/* The few eBPF operations the workloads need, implemented twice: platform-native.c on libbpf,
 * platform-wasm.c on the wasm_bpf host imports. workloads.c is compiled against each, so the
 * native program and the Wasm guest run exactly the same C around the call being measured. */
#ifndef BENCH_PLATFORM_H
#define BENCH_PLATFORM_H
#include <stddef.h>
#include <stdint.h>

typedef int (*record_fn)(void *ctx, void *data, size_t size);

/* Which embedded object to load: bench.bpf.o (hash map, ring buffer) or perf.bpf.o. */
enum plat_object { OBJ_MAIN, OBJ_PERF };

/* Opens and loads the embedded object; 0 or a negative errno. */
int plat_load(enum plat_object which);
/* Attaches the named program by its section (the getpgid tracepoint); 0 or a negative errno. */
int plat_attach(const char *prog);
/* The fd of the named map, or a negative errno. */
int plat_map_fd(const char *name);
/* bpf_map_lookup_elem / bpf_map_update_elem (BPF_ANY): 0 or a negative errno. */
int plat_lookup(int fd, const void *key, void *value);
int plat_update(int fd, const void *key, const void *value);
/* Sets up consumption of a ring buffer or perf event array map fd; fn is called once per record. */
int plat_buffer_open(int fd, int perf, record_fn fn, void *ctx);
/* Consumes what is available, waiting up to timeout_ms; >= 0, or a negative errno. */
int plat_buffer_poll(int timeout_ms);
/* Perf samples the kernel reported lost to this consumer (native: libbpf's lost callback; the
 * Wasm guest cannot see them, wasmbpf prints them on stderr and the runner adds them). */
uint64_t plat_buffer_lost(void);
/* Detaches and unloads everything. */
void plat_close(void);

#endif
