/* SPDX-License-Identifier: MIT */
/* opensnoop's shared definitions: the record sent for every openat() and the filter sizes. */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255

struct args_t {
	__u64 fname; /* user pointer, kept as 64 bits whatever the reader's word size */
	__s32 flags;
	__u32 __pad;
};

struct event {
	__u64 ts;
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX + 1];
};

#endif /* __OPENSNOOP_H */
