// SPDX-License-Identifier: MIT
/* The soak test's module: load, attach, then poll the ring buffer until the host stops us
 * (-EINTR), printing one line per exec it saw, like a real tracing tool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "wbsoak.skel.h"

static int on_exec(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(unsigned int))
		printf("exec pid %u\n", *(unsigned int *)data);
	return 0;
}

int main(void)
{
	struct bpf_buffer *buf = NULL;
	struct wbsoak_bpf *skel = wbsoak_bpf__open_and_load();
	int err = -1;
	if (!skel) {
		fprintf(stderr, "wbsoak: open/load failed: %s\n", strerror(errno));
		return 1;
	}
	buf = bpf_buffer__new(skel->maps.wbsoak_events, NULL);
	if (!buf || bpf_buffer__open(buf, on_exec, NULL, NULL) != 0) {
		fprintf(stderr, "wbsoak: cannot open the ring buffer\n");
		goto cleanup;
	}
	err = wbsoak_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "wbsoak: attach failed: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("wbsoak attached\n");
	fflush(stdout);
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	wbsoak_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
