// SPDX-License-Identifier: GPL-2.0
/* pktcount: packets and bytes per IP protocol on one interface, counted at XDP (generic mode
 * works on any interface, lo included) or at tc ingress. Both programs are in the object;
 * the guest turns off autoload for the one it does not use. Counters live in a per-CPU array
 * so no two CPUs ever contend on one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pktcount.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TC_ACT_OK 0
#define XDP_PASS 2

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_PROTO);
	__type(key, u32);
	__type(value, struct counter);
} counters SEC(".maps");

/* The IP protocol (IPv4 protocol or IPv6 next header) of an Ethernet frame, or -1. */
static __always_inline int ip_proto(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return -1;
		return ip->protocol;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return -1;
		return ip6->nexthdr;
	}
	return -1;
}

static __always_inline void count(int proto, u64 len)
{
	u32 key = (u32)proto;
	struct counter *c = bpf_map_lookup_elem(&counters, &key);
	if (!c)
		return;
	c->packets++; /* per-CPU: no atomics needed */
	c->bytes += len;
}

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	int proto = ip_proto(data, data_end);
	if (proto >= 0)
		count(proto, data_end - data);
	return XDP_PASS;
}

SEC("tc")
int count_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	int proto = ip_proto(data, data_end);
	if (proto >= 0)
		count(proto, skb->len);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
