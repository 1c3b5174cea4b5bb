/* The few eBPF operations the workloads need, implemented twice: platform-native.c on libbpf,
 * platform-wasm.c on the wasm_bpf host imports. workloads.c is compiled against each, so the
 * native program and the Wasm guest run exactly the same C around the call being measured. */
#ifndef BENCH_PLATFORM_H
#define BENCH_PLATFORM_H
#include <stddef.h>

typedef int (*record_fn)(void *ctx, void *data, size_t size);

/* Opens and loads the embedded bench.bpf.o; 0 or a negative errno. */
int plat_load(void);
/* Attaches wbb_on_record (its uprobe on the trigger); 0 or a negative errno. */
int plat_attach(void);
/* The fd of the named map, or a negative errno. */
int plat_map_fd(const char *name);
/* bpf_map_lookup_elem / bpf_map_update_elem (BPF_ANY): 0 or a negative errno. */
int plat_lookup(int fd, const void *key, void *value);
int plat_update(int fd, const void *key, const void *value);
/* Sets up consumption of the ring buffer map fd; fn is called once per record. */
int plat_ring_open(int fd, record_fn fn, void *ctx);
/* Consumes what is available, waiting up to timeout_ms; records delivered (or 0), or a negative errno. */
int plat_ring_poll(int timeout_ms);
/* Detaches and unloads everything. */
void plat_close(void);

#endif
