// SPDX-License-Identifier: MIT
/* runqlat: run queue latency as a log2 histogram, printed every interval like libbpf-tools'
 * runqlat. The guest walks the histogram map with bpf_map_get_next_key, prints each
 * histogram and deletes it, so every interval starts from zero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "wasmbpf.h"
#include "trace_helpers.h"
#include "runqlat.wasm.h"
#include "runqlat.skel.h"

static int print_hists(int fd, bool per_process, bool ms)
{
	__u32 key, next_key;
	__u32 *prev = NULL;
	struct hist hist;
	int err;
	/* get_next_key from NULL gives the first key; -ENOENT after the last. */
	while ((err = bpf_map_get_next_key(fd, prev, &next_key)) == 0) {
		err = bpf_map_lookup_elem(fd, &next_key, &hist);
		if (err < 0) {
			fprintf(stderr, "runqlat: failed to look up a histogram: %s\n", strerror(-err));
			return err;
		}
		if (per_process)
			printf("\npid = %u %s\n", next_key, hist.comm);
		print_log2_hist(hist.slots, MAX_SLOTS, ms ? "msecs" : "usecs");
		key = next_key;
		prev = &key;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "runqlat: failed to walk the histograms: %s\n", strerror(-err));
		return err;
	}
	/* Delete what was printed, so every interval starts from zero. */
	prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next_key) == 0) {
		bpf_map_delete_elem(fd, &next_key);
	}
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-m] [-P] [-T] [-p PID] [INTERVAL [COUNT]]\n"
		"Summarize run queue (scheduler) latency as a histogram.\n"
		"  -m      milliseconds instead of microseconds\n"
		"  -P      one histogram per process\n"
		"  -T      print a timestamp with each histogram\n"
		"  -p PID  only this process\n",
		prog);
}

int main(int argc, char **argv)
{
	bool ms = false, per_process = false, timestamp = false;
	long pid = 0, interval = 99999999, count = 99999999;
	int opt;
	while ((opt = getopt(argc, argv, "mPTp:h")) != -1) {
		switch (opt) {
		case 'm': ms = true; break;
		case 'P': per_process = true; break;
		case 'T': timestamp = true; break;
		case 'p':
			pid = strtol(optarg, NULL, 10);
			if (pid <= 0) {
				fprintf(stderr, "runqlat: invalid PID '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (optind < argc)
		interval = strtol(argv[optind++], NULL, 10);
	if (optind < argc)
		count = strtol(argv[optind++], NULL, 10);
	if (interval <= 0 || count <= 0 || optind < argc) {
		usage(argv[0]);
		return 2;
	}

	int err;
	struct runqlat_bpf *obj = runqlat_bpf__open();
	if (!obj) {
		fprintf(stderr, "runqlat: failed to open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	obj->rodata->targ_per_process = per_process;
	obj->rodata->targ_ms = ms;
	obj->rodata->targ_tgid = (pid_t)pid;
	err = runqlat_bpf__load(obj);
	if (err) {
		fprintf(stderr, "runqlat: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	err = runqlat_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "runqlat: failed to attach the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("Tracing run queue latency... Hit Ctrl-C to end.\n");
	int fd = bpf_map__fd(obj->maps.hists);
	for (;;) {
		/* A stop from the host (SIGINT/SIGTERM) ends the sleep early with -EINTR; like the
		 * native tool on Ctrl-C, print what was gathered, then exit. */
		bool stopping = wasmbpf_sleep_ms((unsigned int)(interval * 1000)) == -EINTR;
		printf("\n");
		if (timestamp) {
			char ts[32];
			time_t t = time(NULL);
			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
			printf("%-8s\n", ts);
		}
		err = print_hists(fd, per_process, ms);
		if (err || stopping || --count == 0)
			break;
	}

cleanup:
	runqlat_bpf__destroy(obj);
	return err < 0 ? 1 : 0;
}
