// What the toolchain reads from a tool's shared header: the structs to generate and the
// #defines to carry over into the generated header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedDefines, sharedStructNames } from '../../sdk/btf/index.ts';

const HEADER = `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __OPENSNOOP_H
#define __OPENSNOOP_H

#define TASK_COMM_LEN 16
#define NAME_MAX 255
#define MAX_SLOTS \\
	26
#define min(a, b) ((a) < (b) ? (a) : (b))

struct task_struct;             /* a declaration, not a definition */
/* struct in_comment { int x; }; is not code */
// struct also_comment { int y; };

struct args_t {
	const char *fname;
	int flags;
};

struct __attribute__((packed)) event {
	struct args_t args;         /* a use, not a definition */
	char comm[TASK_COMM_LEN];
	const char *s; /* "struct in_string {" */
};

typedef struct hist_key {
	unsigned int slot;
} hist_key_t;

union value {
	unsigned long long u;
};

struct event *lookup(struct args_t *a);
#endif /* __OPENSNOOP_H */
`;

test('sharedStructNames finds every struct and union defined, not declared or used', () => {
  assert.deepEqual(sharedStructNames(HEADER), ['args_t', 'event', 'hist_key', 'union value']);
  assert.deepEqual(sharedStructNames('struct a {int x;}; struct a;\nstruct a{int y;};'), ['a']);
  assert.deepEqual(sharedStructNames(''), []);
});

test('sharedDefines keeps object-like macros with a value, joined across continuations', () => {
  assert.deepEqual(sharedDefines(HEADER), ['#define TASK_COMM_LEN 16', '#define NAME_MAX 255', '#define MAX_SLOTS 26']);
});
