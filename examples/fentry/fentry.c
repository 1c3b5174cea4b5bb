// SPDX-License-Identifier: MIT
/* fentry: every unlink on the machine, at entry (with the path) and at exit (with the path and the result):
 *   EVENT  PID     COMM             RET  FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "fentry.wasm.h" /* struct event as wasm32 lays it out, checked against BTF */
#include "fentry.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	if (e->exit_event)
		printf("%-6s %-7u %-16s %-4d %s\n", "EXIT", e->pid, e->comm, e->ret, e->filename);
	else
		printf("%-6s %-7u %-16s %-4s %s\n", "ENTRY", e->pid, e->comm, "-", e->filename);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "Usage: %s\nTrace do_unlinkat() entries and exits (with the path and the result).\n", argv[0]);
		return strcmp(argv[1], "-h") == 0 ? 0 : 2;
	}
	struct bpf_buffer *rb = NULL;
	int err;
	struct fentry_bpf *skel = fentry_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "fentry: failed to open and load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	rb = bpf_buffer__new(skel->maps.events, NULL);
	err = rb ? bpf_buffer__open(rb, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "fentry: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	err = fentry_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "fentry: failed to attach the fentrys: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("%-6s %-7s %-16s %-4s %s\n", "EVENT", "PID", "COMM", "RET", "FILE");
	while ((err = bpf_buffer__poll(rb, 100)) >= 0)
		;
	if (err == -EINTR) /* the host is stopping the module: end cleanly */
		err = 0;
	else
		fprintf(stderr, "fentry: polling the ring buffer: %s\n", strerror(-err));

cleanup:
	bpf_buffer__free(rb);
	fentry_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
