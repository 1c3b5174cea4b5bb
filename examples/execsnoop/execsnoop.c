// SPDX-License-Identifier: MIT
/* execsnoop: trace exec() calls, printed like libbpf-tools' execsnoop:
 *   PCOMM            PID    PPID   RET ARGS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "execsnoop.wasm.h" /* struct event as wasm32 lays it out, checked against BTF */
#include "execsnoop.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	char args[ARGS_SIZE + 4];
	size_t n = e->args_size < ARGS_SIZE ? e->args_size : ARGS_SIZE - 1;
	memcpy(args, e->args, n);
	/* argv arrives NUL-separated; print it space-separated, without the final NUL. */
	while (n > 0 && args[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (args[i] == '\0')
			args[i] = ' ';
	args[n] = '\0';
	printf("%-16s %-6u %-6u %3d %s%s\n", e->comm, e->pid, e->ppid, e->retval, args,
	       e->args_truncated ? " ..." : "");
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "Usage: %s [-u UID]\nTrace exec() calls.\n  -u UID  only execs by this user\n", prog);
}

int main(int argc, char **argv)
{
	long uid = -1;
	int opt;
	while ((opt = getopt(argc, argv, "u:h")) != -1) {
		switch (opt) {
		case 'u':
			uid = strtol(optarg, NULL, 10);
			if (uid < 0) {
				fprintf(stderr, "execsnoop: invalid uid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}

	struct bpf_buffer *buf = NULL;
	struct execsnoop_bpf *skel = execsnoop_bpf__open();
	int err;
	if (!skel) {
		fprintf(stderr, "execsnoop: failed to open the BPF skeleton: %s\n", strerror(errno));
		return 1;
	}
	if (uid >= 0)
		skel->rodata->targ_uid = (__u32)uid;
	err = execsnoop_bpf__load(skel);
	if (err) {
		fprintf(stderr, "execsnoop: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	buf = bpf_buffer__new(skel->maps.events, NULL);
	if (!buf) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_buffer__open(buf, handle_event, NULL, NULL);
	if (err) {
		fprintf(stderr, "execsnoop: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	/* Attached once the buffer is open, so no record can come before the header. */
	err = execsnoop_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "execsnoop: failed to attach: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("%-16s %-6s %-6s %3s %s\n", "PCOMM", "PID", "PPID", "RET", "ARGS");
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR) /* the host is stopping us (SIGINT/SIGTERM): a clean end */
		err = 0;
	else
		fprintf(stderr, "execsnoop: polling the ring buffer: %s\n", strerror(-err));

cleanup:
	bpf_buffer__free(buf);
	execsnoop_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
