// SPDX-License-Identifier: MIT
/* uprobe: traces calls to FUNC(int, int) in BINARY, with its arguments on entry and its
 * return value on return:
 *   PID     COMM             EVENT  CALL */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "wasmbpf.h"
#include "uprobe.wasm.h"
#include "uprobe.skel.h"

static const char *func = "uprobe_add";

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	if (e->is_return)
		printf("%-7u %-16s %-6s %s() = %lld\n", e->pid, e->comm, "RETURN", func, (long long)e->ret);
	else
		printf("%-7u %-16s %-6s %s(%lld, %lld)\n", e->pid, e->comm, "ENTRY", func, (long long)e->arg1, (long long)e->arg2);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-p PID] BINARY [FUNC]\n"
		"Trace calls of FUNC (default uprobe_add), a function of two integers, in BINARY.\n"
		"  -p PID  only this process\n",
		prog);
}

int main(int argc, char **argv)
{
	long pid = -1;
	int opt;
	while ((opt = getopt(argc, argv, "p:h")) != -1) {
		switch (opt) {
		case 'p':
			pid = strtol(optarg, NULL, 10);
			if (pid <= 0) {
				fprintf(stderr, "uprobe: invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(argv[0]);
		return 2;
	}
	const char *binary = argv[optind];
	if (optind + 1 < argc)
		func = argv[optind + 1];

	struct bpf_buffer *rb = NULL;
	struct bpf_link *entry = NULL, *ret = NULL;
	int err;
	struct uprobe_bpf *skel = uprobe_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "uprobe: failed to open and load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	/* The host finds FUNC in BINARY's symbol table; offset 0 means the function's start. */
	LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .func_name = func, .retprobe = false);
	entry = bpf_program__attach_uprobe_opts(skel->progs.uprobe_entry, (pid_t)pid, binary, 0, &entry_opts);
	if (!entry) {
		err = -errno;
		fprintf(stderr, "uprobe: failed to attach to %s:%s: %s (%s)\n", binary, func, strerror(-err), wasmbpf_last_error());
		goto cleanup;
	}
	LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .func_name = func, .retprobe = true);
	ret = bpf_program__attach_uprobe_opts(skel->progs.uprobe_return, (pid_t)pid, binary, 0, &ret_opts);
	if (!ret) {
		err = -errno;
		fprintf(stderr, "uprobe: failed to attach the return probe to %s:%s: %s (%s)\n", binary, func, strerror(-err), wasmbpf_last_error());
		goto cleanup;
	}
	rb = bpf_buffer__new(skel->maps.events, NULL);
	err = rb ? bpf_buffer__open(rb, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "uprobe: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("Tracing %s in %s... Hit Ctrl-C to end.\n", func, binary);
	printf("%-7s %-16s %-6s %s\n", "PID", "COMM", "EVENT", "CALL");
	while ((err = bpf_buffer__poll(rb, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;

cleanup:
	bpf_buffer__free(rb);
	bpf_link__destroy(ret);
	bpf_link__destroy(entry);
	uprobe_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
