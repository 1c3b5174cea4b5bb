// SPDX-License-Identifier: MIT
/* bootstrap: process execs and exits, printed like libbpf-bootstrap's bootstrap:
 *   TIME     EVENT COMM             PID     PPID    FILENAME/EXIT CODE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "bootstrap.wasm.h" /* struct event as wasm32 lays it out, checked against BTF */
#include "bootstrap.skel.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct event *e = data;
	if (size < sizeof(*e))
		return 0;
	char ts[32];
	time_t t = time(NULL);
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	if (e->exit_event) {
		printf("%-8s %-5s %-16s %-7d %-7d [%u]", ts, "EXIT", e->comm, e->pid, e->ppid, e->exit_code);
		if (e->duration_ns)
			printf(" (%llums)", (unsigned long long)(e->duration_ns / 1000000));
		printf("\n");
	} else {
		printf("%-8s %-5s %-16s %-7d %-7d %s\n", ts, "EXEC", e->comm, e->pid, e->ppid, e->filename);
	}
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-d MIN-DURATION-MS]\n"
		"Trace process execs and exits, with exit codes and lifetimes.\n"
		"  -d MS  report only exits of processes that lived at least MS milliseconds\n",
		prog);
}

int main(int argc, char **argv)
{
	long min_duration_ms = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:h")) != -1) {
		switch (opt) {
		case 'd': {
			char *end;
			min_duration_ms = strtol(optarg, &end, 10);
			if (*end || min_duration_ms < 0) {
				fprintf(stderr, "bootstrap: invalid duration '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}

	struct bpf_buffer *rb = NULL;
	int err;
	struct bootstrap_bpf *skel = bootstrap_bpf__open();
	if (!skel) {
		fprintf(stderr, "bootstrap: failed to open the BPF skeleton: %s\n", strerror(errno));
		return 1;
	}
	/* Read-only data is set between open and load, as with libbpf. */
	skel->rodata->min_duration_ns = (unsigned long long)min_duration_ms * 1000000ULL;
	err = bootstrap_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bootstrap: failed to load and verify the BPF skeleton: %s\n", strerror(-err));
		goto cleanup;
	}
	rb = bpf_buffer__new(skel->maps.rb, NULL);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_buffer__open(rb, handle_event, NULL, NULL);
	if (err) {
		fprintf(stderr, "bootstrap: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	/* Attached once the buffer is open, so no record can come before the header. */
	err = bootstrap_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bootstrap: failed to attach the BPF skeleton: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("%-8s %-5s %-16s %-7s %-7s %s\n", "TIME", "EVENT", "COMM", "PID", "PPID", "FILENAME/EXIT CODE");
	while ((err = bpf_buffer__poll(rb, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
	else
		fprintf(stderr, "bootstrap: polling the ring buffer: %s\n", strerror(-err));

cleanup:
	bpf_buffer__free(rb);
	bootstrap_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
