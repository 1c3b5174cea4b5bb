// SPDX-License-Identifier: MIT
/* __NAME__: the guest side, a WebAssembly module. Opens the skeleton, sets read-only data,
 * loads, attaches, and prints every record until the host stops it (Ctrl-C). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "__NAME__.wasm.h"
#include "__NAME__.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	printf("%-7u %-7u %s\n", e->pid, e->ppid, e->comm);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long ppid = 0;
	int opt;
	while ((opt = getopt(argc, argv, "p:h")) != -1) {
		if (opt == 'p') {
			ppid = strtoul(optarg, NULL, 10);
		} else {
			fprintf(stderr, "Usage: %s [-p PPID]\nPrints every exec (only children of PPID with -p).\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}

	struct bpf_buffer *buf = NULL;
	int err;
	struct __IDENT___bpf *skel = __IDENT___bpf__open();
	if (!skel) {
		fprintf(stderr, "__NAME__: failed to open the BPF skeleton: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->targ_ppid = (__u32)ppid;
	err = __IDENT___bpf__load(skel);
	if (err) {
		fprintf(stderr, "__NAME__: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	buf = bpf_buffer__new(skel->maps.events, NULL);
	err = buf ? bpf_buffer__open(buf, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "__NAME__: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	/* Attached once the buffer is open, so no record can come before the header. */
	err = __IDENT___bpf__attach(skel);
	if (err) {
		fprintf(stderr, "__NAME__: failed to attach: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("%-7s %-7s %s\n", "PID", "PPID", "COMM");
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR) /* the host is stopping the module: end cleanly */
		err = 0;

cleanup:
	bpf_buffer__free(buf);
	__IDENT___bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
