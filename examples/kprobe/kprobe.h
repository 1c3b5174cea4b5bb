/* SPDX-License-Identifier: MIT */
/* The record kprobe.bpf.c sends at each entry to and each return from do_unlinkat(). */
#ifndef __KPROBE_H
#define __KPROBE_H

#define TASK_COMM_LEN 16
#define FILENAME_LEN 128

struct event {
	__u32 pid;
	__s32 ret;       /* the return value (return events) */
	__u8 exit_event; /* 0: entry (filename set), 1: return (ret set) */
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};

#endif /* __KPROBE_H */
