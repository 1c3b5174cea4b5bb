/* The benchmark workloads, compiled once against libbpf (native) and once for wasm32-wasi (the
 * guest), so both sides run the same loop around the call being measured. Time is taken with
 * clock_gettime(CLOCK_MONOTONIC) (WASI clock_time_get in the guest) around the measured part only,
 * and reported as one line the runner parses:
 *   result workload=NAME ops=N ns=T
 * Usage: bench lookup|update|ring|drain|startup [N]
 *   lookup, update  N operations on a hash map of KEYS keys, after an untimed warm-up
 *   ring            attach, print "ready"; the runner then starts the trigger; time from the
 *                   first record consumed to the N-th (producer and consumer run concurrently)
 *   drain           attach, print "ready", wait until the trigger has produced N records, then
 *                   time consuming all of them (the consumer's cost alone)
 *   startup         load, attach, print "ready", exit (the runner times process start -> ready) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "platform.h"

#define KEYS 1024u
#define IDLE_POLLS 600 /* a minute of 100 ms polls without a record while the producer is not done: it is gone */

struct record { uint64_t seq; uint64_t ts; };

struct consumer {
	uint64_t want, seen, out_of_order, first_ns, last_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench: %s failed: %d\n", what, err);
	return 1;
}

static int map_ops(int update, long n)
{
	int fd = plat_map_fd("wbb_hash");
	if (fd < 0) return fail("map_fd", fd);
	for (uint32_t k = 0; k < KEYS; k++) {
		uint64_t v = k;
		int r = plat_update(fd, &k, &v);
		if (r) return fail("populate", r);
	}
	long warm = n / 10 < 10000 ? n / 10 : 10000;
	uint64_t sum = 0;
	for (int pass = 0; pass < 2; pass++) {
		long count = pass ? n : warm;
		uint64_t t0 = now_ns();
		for (long i = 0; i < count; i++) {
			uint32_t k = (uint32_t)i % KEYS;
			uint64_t v = (uint64_t)i;
			int r = update ? plat_update(fd, &k, &v) : plat_lookup(fd, &k, &v);
			if (r) return fail(update ? "update" : "lookup", r);
			sum += v;
		}
		uint64_t t1 = now_ns();
		if (pass) printf("result workload=%s ops=%ld ns=%llu check=%llu\n", update ? "update" : "lookup", n,
				 (unsigned long long)(t1 - t0), (unsigned long long)sum);
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer *c = ctx;
	const struct record *r = data;
	if (size < sizeof(*r) || r->seq != c->seen) c->out_of_order++;
	/* Only the first and the last record are timed: a clock read per record would cost the
	 * Wasm side a host call each and distort what is measured. */
	if (c->seen == 0) c->first_ns = now_ns();
	if (++c->seen == c->want) c->last_ns = now_ns();
	return 0;
}

static uint64_t stat_value(int stats_fd, uint32_t k)
{
	uint64_t v = 0;
	plat_lookup(stats_fd, &k, &v);
	return v;
}

static int ring(int drain, long n)
{
	int ring_fd = plat_map_fd("wbb_ring"), stats_fd = plat_map_fd("wbb_stats");
	if (ring_fd < 0 || stats_fd < 0) return fail("map_fd", ring_fd < 0 ? ring_fd : stats_fd);
	int r = plat_attach();
	if (r) return fail("attach", r);
	struct consumer c = { .want = (uint64_t)n };
	r = plat_ring_open(ring_fd, on_record, &c);
	if (r) return fail("ring_open", r);
	printf("ready\n");
	fflush(stdout);
	uint64_t t0 = 0;
	if (drain) {
		for (int waited = 0; stat_value(stats_fd, 0) + stat_value(stats_fd, 1) < c.want; waited++) {
			if (waited > 60000) return fail("waiting for the producer", -1);
			usleep(1000);
		}
		t0 = now_ns();
	}
	for (int idle = 0; c.seen < c.want && idle < IDLE_POLLS;) {
		uint64_t before = c.seen;
		r = plat_ring_poll(drain ? 0 : 100);
		if (r < 0) return fail("poll", r);
		if (c.seen != before) idle = 0;
		/* Nothing new although the producer is done: records went missing, stop waiting. */
		else if (stat_value(stats_fd, 0) + stat_value(stats_fd, 1) >= c.want) break;
		else idle++;
	}
	uint64_t produced = stat_value(stats_fd, 0), dropped = stat_value(stats_fd, 1);
	if (c.seen != c.want || c.out_of_order || dropped) {
		fprintf(stderr, "bench: consumed %llu of %llu records (%llu produced), %llu out of order, %llu dropped\n",
			(unsigned long long)c.seen, (unsigned long long)c.want, (unsigned long long)produced,
			(unsigned long long)c.out_of_order, (unsigned long long)dropped);
		return 1;
	}
	if (drain)
		printf("result workload=drain ops=%ld ns=%llu\n", n, (unsigned long long)(c.last_ns - t0));
	else /* first to last record spans n - 1 intervals */
		printf("result workload=ring ops=%ld ns=%llu\n", n - 1, (unsigned long long)(c.last_ns - c.first_ns));
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int known = !strcmp(mode, "lookup") || !strcmp(mode, "update") || !strcmp(mode, "ring") || !strcmp(mode, "drain") ||
		    !strcmp(mode, "startup");
	if (!known || (strcmp(mode, "startup") && n < 2)) {
		fprintf(stderr, "usage: bench lookup|update|ring|drain N | bench startup\n");
		return 2;
	}
	int r = plat_load();
	if (r) return fail("load", r);
	if (!strcmp(mode, "startup")) {
		r = plat_attach();
		if (r) { plat_close(); return fail("attach", r); }
		printf("ready\n");
		fflush(stdout);
		r = 0;
	} else if (!strcmp(mode, "lookup") || !strcmp(mode, "update")) {
		r = map_ops(!strcmp(mode, "update"), n);
	} else {
		r = ring(!strcmp(mode, "drain"), n);
	}
	plat_close();
	return r;
}
