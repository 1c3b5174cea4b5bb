// SPDX-License-Identifier: GPL-2.0
/* sockfilter: a socket filter on a raw packet socket (AF_PACKET) that the host opens for the
 * module. For every IPv4 packet received it counts the protocol and sends a record with the
 * addresses and ports, as libbpf-bootstrap's sockfilter. It returns 0: the socket itself
 * keeps nothing, so no queue fills up. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "wasmbpf_shared.h"
#include "sockfilter.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define PACKET_HOST 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

WASMBPF_SHARED(struct so_event); /* its wasm32 layout is generated from BTF */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_PROTO);
	__type(key, u32);
	__type(value, u64);
} proto_count SEC(".maps");

static __always_inline bool is_fragment(struct __sk_buff *skb, u32 nhoff)
{
	u16 frag_off;
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, frag_off), &frag_off, 2);
	return bpf_ntohs(frag_off) & (IP_MF | IP_OFFSET);
}

SEC("socket")
int socket_handler(struct __sk_buff *skb)
{
	u16 proto;
	u8 ip_proto, verlen;
	u32 nhoff = ETH_HLEN;

	/* Received packets only: on lo every packet is also seen once on its way out. */
	if (skb->pkt_type != PACKET_HOST)
		return 0;
	bpf_skb_load_bytes(skb, 12, &proto, 2);
	if (bpf_ntohs(proto) != ETH_P_IP)
		return 0;
	if (is_fragment(skb, nhoff))
		return 0;
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, protocol), &ip_proto, 1);

	u32 key = ip_proto;
	u64 *count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);

	struct so_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ip_proto = ip_proto;
	e->pkt_type = skb->pkt_type;
	e->ifindex = skb->ifindex;
	e->src_port = e->dst_port = 0;
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, saddr), &e->src_addr, 4);
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, daddr), &e->dst_addr, 4);
	if (ip_proto == IPPROTO_TCP || ip_proto == IPPROTO_UDP) {
		bpf_skb_load_bytes(skb, nhoff, &verlen, 1);
		u32 thoff = nhoff + ((verlen & 0xF) << 2);
		u16 ports[2];
		if (bpf_skb_load_bytes(skb, thoff, ports, sizeof(ports)) == 0) {
			e->src_port = bpf_ntohs(ports[0]);
			e->dst_port = bpf_ntohs(ports[1]);
		}
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
