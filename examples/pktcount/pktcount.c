// SPDX-License-Identifier: MIT
/* pktcount: packets and bytes per IP protocol on an interface, printed every interval:
 *   TIME     PROTO    PACKETS        BYTES
 * A per-CPU map value holds one counter per possible CPU, round_up(value size, 8) bytes
 * apart; the guest sums them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "wasmbpf.h"
#include "pktcount.wasm.h"
#include "pktcount.skel.h"

static const char *proto_name(unsigned int p, char *buf, size_t len)
{
	switch (p) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 58: return "ICMPv6";
	case 132: return "SCTP";
	default: snprintf(buf, len, "%u", p); return buf;
	}
}

static int print_counts(int fd, int ncpus)
{
	/* One value per possible CPU, each padded to 8 bytes (struct counter already is). */
	size_t stride = (sizeof(struct counter) + 7) & ~(size_t)7;
	unsigned char *values = calloc((size_t)ncpus, stride);
	if (!values)
		return -ENOMEM;
	char ts[32], num[8];
	time_t t = time(NULL);
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	int err = 0;
	for (__u32 proto = 0; proto < MAX_PROTO; proto++) {
		err = bpf_map_lookup_elem(fd, &proto, values);
		if (err < 0) {
			fprintf(stderr, "pktcount: failed to read the counters: %s\n", strerror(-err));
			break;
		}
		unsigned long long packets = 0, bytes = 0;
		for (int cpu = 0; cpu < ncpus; cpu++) {
			const struct counter *c = (const struct counter *)(values + (size_t)cpu * stride);
			packets += c->packets;
			bytes += c->bytes;
		}
		if (packets)
			printf("%-8s %-8s %-14llu %llu\n", ts, proto_name(proto, num, sizeof(num)), packets, bytes);
	}
	free(values);
	return err;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-t] [-i SECONDS] IFNAME\n"
		"Count packets and bytes per IP protocol arriving on IFNAME.\n"
		"  -t          count at tc ingress instead of XDP (generic mode)\n"
		"  -i SECONDS  print interval (default 1)\n",
		prog);
}

int main(int argc, char **argv)
{
	bool use_tc = false;
	long interval = 1;
	int opt;
	while ((opt = getopt(argc, argv, "ti:h")) != -1) {
		switch (opt) {
		case 't': use_tc = true; break;
		case 'i':
			interval = strtol(optarg, NULL, 10);
			if (interval <= 0) {
				fprintf(stderr, "pktcount: invalid interval '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(argv[0]);
		return 2;
	}
	const char *ifname = argv[optind];

	int err;
	struct bpf_link *link = NULL;
	struct pktcount_bpf *skel = pktcount_bpf__open();
	if (!skel) {
		fprintf(stderr, "pktcount: failed to open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	/* Load only the program for the chosen hook. */
	err = bpf_program__set_autoload(use_tc ? skel->progs.count_xdp : skel->progs.count_tc, false);
	if (!err)
		err = pktcount_bpf__load(skel);
	if (err) {
		fprintf(stderr, "pktcount: failed to load the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	link = use_tc ? wasmbpf_attach_tc(skel->progs.count_tc, ifname, false)
		      : wasmbpf_attach_xdp(skel->progs.count_xdp, ifname, XDP_FLAGS_SKB_MODE);
	if (!link) {
		err = -errno;
		fprintf(stderr, "pktcount: failed to attach to %s: %s (%s)\n", ifname, strerror(errno), wasmbpf_last_error());
		goto cleanup;
	}
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		err = ncpus;
		goto cleanup;
	}

	printf("Counting packets on %s (%s)... Hit Ctrl-C to end.\n", ifname, use_tc ? "tc ingress" : "xdp generic");
	printf("%-8s %-8s %-14s %s\n", "TIME", "PROTO", "PACKETS", "BYTES");
	for (;;) {
		bool stopping = wasmbpf_sleep_ms((unsigned int)(interval * 1000)) == -EINTR;
		err = print_counts(bpf_map__fd(skel->maps.counters), ncpus);
		if (err || stopping)
			break;
	}

cleanup:
	bpf_link__destroy(link);
	pktcount_bpf__destroy(skel);
	return err < 0 ? 1 : 0;
}
