/* SPDX-License-Identifier: MIT */
/* uprobe's record: one per call (entry, with arguments) and one per return (with the value). */
#ifndef __UPROBE_H
#define __UPROBE_H

#define TASK_COMM_LEN 16

struct event {
	__u32 pid;
	__u32 is_return;
	__s64 arg1;
	__s64 arg2;
	__s64 ret;
	char comm[TASK_COMM_LEN];
};

#endif /* __UPROBE_H */
