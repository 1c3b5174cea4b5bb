/* SPDX-License-Identifier: MIT */
/* The record fentry.bpf.c sends at each entry to and each exit from do_unlinkat(). */
#ifndef __FENTRY_H
#define __FENTRY_H

#define TASK_COMM_LEN 16
#define FILENAME_LEN 128

struct event {
	__u32 pid;
	__s32 ret;       /* the return value (exit events) */
	__u8 exit_event; /* 0: entry, 1: exit (ret set); both carry the path */
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};

#endif /* __FENTRY_H */
