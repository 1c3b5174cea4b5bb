// The ring buffer workload's producer: calls bench_record(seq) N times; the uprobe in
// bench.bpf.c turns each call into one record.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long bench_record(long seq) { __asm__ volatile("" ::: "memory"); return seq; }

int main(int argc, char **argv)
{
	if (argc < 2) { fprintf(stderr, "usage: trigger N\n"); return 2; }
	long n = atol(argv[1]);
	for (long i = 0; i < n; i++) bench_record(i);
	return 0;
}
