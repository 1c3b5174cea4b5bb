// SPDX-License-Identifier: MIT
/* The small native program the uprobe example traces: calls uprobe_add(i, 10 * i) for
 * i = 1..N (N from argv, default 3) and prints each result. Built natively, e.g.
 *   clang-19 -O1 -g -o build/uprobe_target uprobe_target.c */
#include <stdio.h>
#include <stdlib.h>

/* noinline and used: the function must stay a real symbol for the probe to find. */
__attribute__((noinline, used)) int uprobe_add(int a, int b)
{
	asm volatile("" ::: "memory"); /* keep the call from being folded away */
	return a + b;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	for (int i = 1; i <= n; i++)
		printf("uprobe_add(%d, %d) = %d\n", i, 10 * i, uprobe_add(i, 10 * i));
	return 0;
}
