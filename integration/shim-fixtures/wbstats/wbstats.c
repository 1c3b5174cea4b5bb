// SPDX-License-Identifier: MIT
/* The observability tests' module: wbstats MARKER [slow]. Counts the records of getpgid(MARKER)
 * calls from a ring buffer and a perf buffer until stopped. "slow" reads only the perf buffer and
 * sleeps 1 ms per record, so the kernel drops perf records (the test's lost > 0). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libbpf-wasm.h"
#include "wbstats.skel.h"

static int slow;
static unsigned long ring_seen, perf_seen;

static int on_ring(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	ring_seen++;
	return 0;
}

static int on_perf(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	perf_seen++;
	if (slow) {
		struct timespec t = { 0, 1000 * 1000 };
		nanosleep(&t, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_buffer *ring = NULL, *perf = NULL;
	struct wbstats_bpf *skel;
	int err = -1;
	if (argc < 2) {
		fprintf(stderr, "usage: wbstats MARKER [slow]\n");
		return 2;
	}
	slow = argc > 2 && strcmp(argv[2], "slow") == 0;
	skel = wbstats_bpf__open();
	if (!skel) {
		fprintf(stderr, "wbstats: open failed: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->marker = strtoull(argv[1], NULL, 10);
	if (wbstats_bpf__load(skel)) {
		fprintf(stderr, "wbstats: load failed: %s\n", strerror(errno));
		goto cleanup;
	}
	ring = bpf_buffer__new(skel->maps.wbstats_ring, NULL);
	perf = bpf_buffer__new(skel->maps.wbstats_perf, NULL);
	if (!ring || !perf || bpf_buffer__open(ring, on_ring, NULL, NULL) || bpf_buffer__open(perf, on_perf, NULL, NULL)) {
		fprintf(stderr, "wbstats: cannot open the buffers\n");
		goto cleanup;
	}
	err = wbstats_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "wbstats: attach failed: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("wbstats attached\n");
	fflush(stdout);
	for (;;) {
		if (!slow && (err = bpf_buffer__poll(ring, 20)) < 0)
			break;
		if ((err = bpf_buffer__poll(perf, 20)) < 0)
			break;
	}
	if (err == -EINTR)
		err = 0;
	printf("wbstats ring %lu perf %lu\n", ring_seen, perf_seen);
cleanup:
	bpf_buffer__free(ring);
	bpf_buffer__free(perf);
	wbstats_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
