/* SPDX-License-Identifier: MIT */
/* pktcount's per-CPU counter, one per IP protocol number (index 0..255). */
#ifndef __PKTCOUNT_H
#define __PKTCOUNT_H

#define MAX_PROTO 256

struct counter {
	__u64 packets;
	__u64 bytes;
};

#endif /* __PKTCOUNT_H */
