/* SPDX-License-Identifier: MIT */
/* trace_helpers.h: what libbpf-tools' trace_helpers.c gives its tools, for guests. Histogram
 * tools (runqlat, biolatency) print with print_log2_hist in libbpf-tools' exact layout. */
#ifndef WASMBPF_TRACE_HELPERS_H
#define WASMBPF_TRACE_HELPERS_H

#include <stdio.h>

static inline void print_stars(unsigned int val, unsigned int val_max, int width)
{
	int num_stars = val_max ? (int)((unsigned long long)val * width / val_max) : 0;
	for (int i = 0; i < width; i++)
		putchar(i < num_stars ? '*' : ' ');
	if (val > val_max)
		putchar('+');
}

/* The same layout as libbpf-tools' print_log2_hist. */
static inline void print_log2_hist(const unsigned int *vals, int vals_size, const char *val_type)
{
	int idx_max = -1;
	unsigned int val_max = 0;
	for (int i = 0; i < vals_size; i++) {
		if (vals[i] > 0)
			idx_max = i;
		if (vals[i] > val_max)
			val_max = vals[i];
	}
	if (idx_max < 0)
		return;
	int wide = idx_max > 32, stars = wide ? 20 : 40, width = wide ? 20 : 10;
	printf("%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, val_type);
	for (int i = 0; i <= idx_max; i++) {
		unsigned long long low = (1ULL << (i + 1)) >> 1, high = (1ULL << (i + 1)) - 1;
		if (low == high)
			low -= 1;
		printf("%*llu -> %-*llu : %-8u |", width, low, width, high, vals[i]);
		print_stars(vals[i], val_max, stars);
		printf("|\n");
	}
}

#endif
