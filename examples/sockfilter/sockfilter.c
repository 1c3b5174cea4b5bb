// SPDX-License-Identifier: MIT
/* sockfilter: every IPv4 packet arriving on an interface, seen by a socket filter on a raw
 * socket the host opens for the module, printed like libbpf-bootstrap's sockfilter:
 *   interface: lo	protocol: UDP	127.0.0.1:41234(src) -> 127.0.0.1:9999(dst)
 * and, when stopped, the number of packets per protocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "wasmbpf.h"
#include "sockfilter.wasm.h"
#include "sockfilter.skel.h"

static const char *ifname = "lo";

static const char *proto_name(unsigned int p, char *buf, size_t len)
{
	switch (p) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 132: return "SCTP";
	default: snprintf(buf, len, "%u", p); return buf;
	}
}

static void format_addr(__u32 addr_be, char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)&addr_be; /* network order: first byte first */
	snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct so_event *e = data;
	if (size < sizeof(*e))
		return 0;
	char src[16], dst[16], num[8];
	format_addr(e->src_addr, src, sizeof(src));
	format_addr(e->dst_addr, dst, sizeof(dst));
	const char *proto = proto_name(e->ip_proto, num, sizeof(num));
	if (e->src_port || e->dst_port)
		printf("interface: %s\tprotocol: %s\t%s:%u(src) -> %s:%u(dst)\n", ifname, proto, src, e->src_port, dst, e->dst_port);
	else
		printf("interface: %s\tprotocol: %s\t%s(src) -> %s(dst)\n", ifname, proto, src, dst);
	return 0;
}

static void print_totals(int fd)
{
	char num[8];
	printf("\n%-8s %s\n", "PROTO", "PACKETS");
	for (__u32 p = 0; p < MAX_PROTO; p++) {
		__u64 count = 0;
		if (bpf_map_lookup_elem(fd, &p, &count) == 0 && count)
			printf("%-8s %llu\n", proto_name(p, num, sizeof(num)), (unsigned long long)count);
	}
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "h")) != -1) {
		fprintf(stderr, "Usage: %s [IFNAME]\nShow IPv4 packets arriving on IFNAME (default lo), counted per protocol.\n", argv[0]);
		return opt == 'h' ? 0 : 2;
	}
	if (optind < argc)
		ifname = argv[optind];

	struct bpf_buffer *rb = NULL;
	struct bpf_link *link = NULL;
	int err;
	struct sockfilter_bpf *skel = sockfilter_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "sockfilter: failed to open and load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	/* A guest cannot make packet sockets itself: the host opens one, bound to ifname. */
	int sock = wasmbpf_open_raw_socket(ifname);
	if (sock < 0) {
		err = sock;
		fprintf(stderr, "sockfilter: failed to open a raw socket on %s: %s (%s)\n", ifname, strerror(-err), wasmbpf_last_error());
		goto cleanup;
	}
	link = wasmbpf_attach_socket(skel->progs.socket_handler, sock);
	if (!link) {
		err = -errno;
		fprintf(stderr, "sockfilter: failed to attach the socket filter: %s (%s)\n", strerror(-err), wasmbpf_last_error());
		goto cleanup;
	}
	rb = bpf_buffer__new(skel->maps.rb, NULL);
	err = rb ? bpf_buffer__open(rb, handle_event, NULL, NULL) : -errno;
	if (err) {
		fprintf(stderr, "sockfilter: failed to open the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	printf("Filtering packets on %s... Hit Ctrl-C to end.\n", ifname);
	while ((err = bpf_buffer__poll(rb, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
	print_totals(bpf_map__fd(skel->maps.proto_count));

cleanup:
	bpf_buffer__free(rb);
	bpf_link__destroy(link);
	sockfilter_bpf__destroy(skel); /* the host closes the socket when the module ends */
	return err < 0 ? 1 : 0;
}
