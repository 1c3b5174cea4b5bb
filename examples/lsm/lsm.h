/* SPDX-License-Identifier: MIT */
/* The record lsm.bpf.c sends for every mkdir it denies. */
#ifndef __LSM_H
#define __LSM_H

#define TASK_COMM_LEN 16
#define NAME_LEN 64 /* the directory name the guest asks to deny, NUL included */

struct event {
	__u32 pid;
	char comm[TASK_COMM_LEN];
	char name[NAME_LEN];
};

#endif /* __LSM_H */
