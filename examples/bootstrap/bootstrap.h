/* SPDX-License-Identifier: MIT */
/* The record bootstrap.bpf.c sends for every exec and every process exit. */
#ifndef __BOOTSTRAP_H
#define __BOOTSTRAP_H

#define TASK_COMM_LEN 16
#define MAX_FILENAME_LEN 127

struct event {
	__s32 pid;
	__s32 ppid;
	__u32 exit_code;
	__u64 duration_ns;
	char comm[TASK_COMM_LEN];
	char filename[MAX_FILENAME_LEN];
	__u8 exit_event;
};

#endif /* __BOOTSTRAP_H */
