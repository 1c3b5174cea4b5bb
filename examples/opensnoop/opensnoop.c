// SPDX-License-Identifier: MIT
/* opensnoop: trace openat() calls, printed like libbpf-tools' opensnoop:
 *   PID    COMM              FD ERR PATH */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "opensnoop.wasm.h"
#include "opensnoop.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	int fd = e->ret >= 0 ? e->ret : -1;
	int err = e->ret >= 0 ? 0 : -e->ret;
	printf("%-6u %-16s %3d %3d %s\n", e->pid, e->comm, fd, err, e->fname);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-p PID] [-n NAME] [-x]\n"
		"Trace openat() calls.\n"
		"  -p PID   only this process\n"
		"  -n NAME  only processes whose command is NAME\n"
		"  -x       only failed opens\n",
		prog);
}

int main(int argc, char **argv)
{
	long pid = 0;
	const char *name = NULL;
	bool failed = false;
	int opt;
	while ((opt = getopt(argc, argv, "p:n:xh")) != -1) {
		switch (opt) {
		case 'p':
			pid = strtol(optarg, NULL, 10);
			if (pid <= 0) {
				fprintf(stderr, "opensnoop: invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			name = optarg;
			if (strlen(name) >= TASK_COMM_LEN) {
				fprintf(stderr, "opensnoop: command names are at most %d characters\n", TASK_COMM_LEN - 1);
				return 2;
			}
			break;
		case 'x':
			failed = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}

	struct bpf_buffer *pb = NULL;
	int err;
	struct opensnoop_bpf *obj = opensnoop_bpf__open();
	if (!obj) {
		fprintf(stderr, "opensnoop: failed to open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	obj->rodata->targ_pid = (pid_t)pid;
	obj->rodata->targ_failed = failed;
	if (name)
		strncpy((char *)obj->rodata->targ_comm, name, TASK_COMM_LEN - 1);

	err = opensnoop_bpf__load(obj);
	if (err) {
		fprintf(stderr, "opensnoop: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	pb = bpf_buffer__new(obj->maps.events, NULL);
	err = pb ? bpf_buffer__open(pb, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "opensnoop: failed to open the perf buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	/* Attached once the buffer is open, so no record can come before the header. */
	err = opensnoop_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "opensnoop: failed to attach the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("%-6s %-16s %3s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
	while ((err = bpf_buffer__poll(pb, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
	else
		fprintf(stderr, "opensnoop: polling the perf buffer: %s\n", strerror(-err));

cleanup:
	bpf_buffer__free(pb);
	opensnoop_bpf__destroy(obj);
	return err < 0 ? 1 : 0;
}
