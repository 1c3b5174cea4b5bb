// SPDX-License-Identifier: MIT
/* lsm: denies creating directories named NAME while it runs (BPF LSM, path_mkdir hook), and
 * prints each denied attempt:
 *   EVENT   PID     COMM             NAME */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "lsm.wasm.h" /* struct event as wasm32 lays it out, checked against BTF */
#include "lsm.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	printf("%-7s %-7u %-16s %s\n", "DENIED", e->pid, e->comm, e->name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "-h") == 0 || !argv[1][0] || strchr(argv[1], '/')) {
		fprintf(stderr, "Usage: %s NAME\nDeny creating directories named NAME (no '/') while running; print each attempt.\n", argv[0]);
		return argc == 2 && strcmp(argv[1], "-h") == 0 ? 0 : 2;
	}
	const char *name = argv[1];
	if (strlen(name) >= NAME_LEN) {
		fprintf(stderr, "lsm: NAME is at most %d characters\n", NAME_LEN - 1);
		return 2;
	}
	struct bpf_buffer *rb = NULL;
	int err;
	struct lsm_bpf *skel = lsm_bpf__open();
	if (!skel) {
		fprintf(stderr, "lsm: failed to open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	strncpy((char *)skel->rodata->targ_name, name, NAME_LEN - 1);
	err = lsm_bpf__load(skel);
	if (err) {
		fprintf(stderr, "lsm: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	rb = bpf_buffer__new(skel->maps.events, NULL);
	err = rb ? bpf_buffer__open(rb, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "lsm: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	err = lsm_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "lsm: failed to attach the LSM program (is \"bpf\" in /sys/kernel/security/lsm?): %s\n", strerror(-err));
		goto cleanup;
	}

	printf("Denying mkdir of directories named %s... Hit Ctrl-C to end.\n", name);
	printf("%-7s %-7s %-16s %s\n", "EVENT", "PID", "COMM", "NAME");
	while ((err = bpf_buffer__poll(rb, 100)) >= 0)
		;
	if (err == -EINTR) /* the host is stopping the module: end cleanly */
		err = 0;
	else
		fprintf(stderr, "lsm: polling the ring buffer: %s\n", strerror(-err));

cleanup:
	bpf_buffer__free(rb);
	lsm_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
