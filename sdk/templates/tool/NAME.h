/* SPDX-License-Identifier: MIT */
/* The record __NAME__.bpf.c sends to __NAME__.c for every exec. Shared structs live here; the
 * guest includes the generated __NAME__.wasm.h, whose layout is checked against the object. */
#ifndef __GUARD___H
#define __GUARD___H

#define TASK_COMM_LEN 16

struct event {
	__u32 pid;
	__u32 ppid;
	__u64 ts_ns;
	char comm[TASK_COMM_LEN];
};

#endif /* __GUARD___H */
