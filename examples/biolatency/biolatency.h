/* SPDX-License-Identifier: MIT */
/* biolatency's shared definitions: a log2 histogram of block I/O latency per key. */
#ifndef __BIOLATENCY_H
#define __BIOLATENCY_H

#define MAX_SLOTS 27

struct hist_key {
	__u32 dev;   /* with -D: the disk's dev_t (major << 20 | minor), else 0 */
	__u32 flags; /* with -F: the request's cmd_flags, else 0 */
};

struct hist {
	__u32 slots[MAX_SLOTS];
};

#endif /* __BIOLATENCY_H */
