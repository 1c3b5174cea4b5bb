/* SPDX-License-Identifier: MIT */
/* sockfilter's record: one per IPv4 packet the socket sees. */
#ifndef __SOCKFILTER_H
#define __SOCKFILTER_H

#define MAX_PROTO 256

struct so_event {
	__u32 src_addr; /* network byte order */
	__u32 dst_addr;
	__u16 src_port; /* host byte order; 0 when the protocol has no ports */
	__u16 dst_port;
	__u32 ip_proto;
	__u32 pkt_type;
	__u32 ifindex;
};

#endif /* __SOCKFILTER_H */
