// SPDX-License-Identifier: MIT
/* biolatency: block I/O latency as a log2 histogram, printed every interval like
 * libbpf-tools' biolatency. The histograms are read by walking the map's keys with
 * bpf_map_get_next_key, then deleted so every interval starts from zero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "wasmbpf.h"
#include "trace_helpers.h"
#include "biolatency.wasm.h"
#include "biolatency.skel.h"

static int print_hists(int fd, bool per_disk, bool per_flag, bool ms)
{
	struct hist_key key, next_key;
	struct hist_key *prev = NULL;
	struct hist hist;
	int err;
	while ((err = bpf_map_get_next_key(fd, prev, &next_key)) == 0) {
		err = bpf_map_lookup_elem(fd, &next_key, &hist);
		if (err < 0) {
			fprintf(stderr, "biolatency: failed to look up a histogram: %s\n", strerror(-err));
			return err;
		}
		if (per_disk)
			printf("\ndisk = %u:%u\n", next_key.dev >> 20, next_key.dev & ((1U << 20) - 1));
		if (per_flag)
			printf("\nflags = 0x%x\n", next_key.flags);
		print_log2_hist(hist.slots, MAX_SLOTS, ms ? "msecs" : "usecs");
		key = next_key;
		prev = &key;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "biolatency: failed to walk the histograms: %s\n", strerror(-err));
		return err;
	}
	while (bpf_map_get_next_key(fd, NULL, &next_key) == 0)
		bpf_map_delete_elem(fd, &next_key);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-m] [-D] [-F] [-Q] [-T] [INTERVAL [COUNT]]\n"
		"Summarize block device I/O latency as a histogram.\n"
		"  -m  milliseconds instead of microseconds\n"
		"  -D  one histogram per disk\n"
		"  -F  one histogram per I/O flag set\n"
		"  -Q  include the time queued in the kernel\n"
		"  -T  print a timestamp with each histogram\n",
		prog);
}

int main(int argc, char **argv)
{
	bool ms = false, per_disk = false, per_flag = false, queued = false, timestamp = false;
	long interval = 99999999, count = 99999999;
	int opt;
	while ((opt = getopt(argc, argv, "mDFQTh")) != -1) {
		switch (opt) {
		case 'm': ms = true; break;
		case 'D': per_disk = true; break;
		case 'F': per_flag = true; break;
		case 'Q': queued = true; break;
		case 'T': timestamp = true; break;
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
	struct biolatency_bpf *obj = biolatency_bpf__open();
	if (!obj) {
		fprintf(stderr, "biolatency: failed to open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	obj->rodata->targ_per_disk = per_disk;
	obj->rodata->targ_per_flag = per_flag;
	obj->rodata->targ_queued = queued;
	obj->rodata->targ_ms = ms;
	/* Without -Q the insert tracepoint has nothing to do: do not even load it. */
	if (!queued)
		bpf_program__set_autoload(obj->progs.block_rq_insert, false);
	err = biolatency_bpf__load(obj);
	if (err) {
		fprintf(stderr, "biolatency: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	err = biolatency_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "biolatency: failed to attach the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("Tracing block device I/O... Hit Ctrl-C to end.\n");
	int fd = bpf_map__fd(obj->maps.hists);
	for (;;) {
		bool stopping = wasmbpf_sleep_ms((unsigned int)(interval * 1000)) == -EINTR;
		printf("\n");
		if (timestamp) {
			char ts[32];
			time_t t = time(NULL);
			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
			printf("%-8s\n", ts);
		}
		err = print_hists(fd, per_disk, per_flag, ms);
		if (err || stopping || --count == 0)
			break;
	}

cleanup:
	biolatency_bpf__destroy(obj);
	return err < 0 ? 1 : 0;
}
