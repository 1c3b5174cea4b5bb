/* SPDX-License-Identifier: MIT */
/* The record execsnoop.bpf.c sends for every successful exec. */
#ifndef __EXECSNOOP_H
#define __EXECSNOOP_H

#define TASK_COMM_LEN 16
#define ARGS_SIZE 1024 /* argv bytes kept per exec, NUL-separated (a power of two) */

struct event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;
	__u32 args_size; /* bytes of args used, including each argument's NUL */
	__u32 args_truncated;
	char comm[TASK_COMM_LEN];
	char args[ARGS_SIZE];
};

#endif /* __EXECSNOOP_H */
