/* The benchmark workloads, compiled once against libbpf (native) and once for wasm32-wasi (the
 * guest), so both sides run the same loop around the call being measured. Wall time is
 * clock_gettime(CLOCK_MONOTONIC), CPU time clock_gettime(CLOCK_PROCESS_CPUTIME_ID) (WASI
 * clock_time_get with the same clocks in the guest: for the process cputime clock Node's uvwasi
 * calls clock_gettime(CLOCK_PROCESS_CPUTIME_ID) too, which counts every thread of the wasmbpf
 * process: the module's worker, Node's main thread, the GC). Each is read around the measured
 * part only, and reported as one line the runner parses:
 *   result workload=NAME ops=N ns=T [cpu_ns=C] [check=X] [key=value...]
 * Usage: bench lookup|update N | bench ring|perf N TOKEN BATCH [REPORT] | bench startup
 *   lookup, update  N operations on a hash map of KEYS keys, after an untimed warm-up
 *   ring, perf      write TOKEN and BATCH into wbb_config, attach the getpgid tracepoint, print
 *                   "ready"; the runner then starts the trigger (getpgid(TOKEN) N / BATCH times,
 *                   each emitting BATCH records, events.bpf.h); consume the N
 *                   records while they are produced. ns and cpu_ns span the first record
 *                   delivered to the last (N - 1 intervals); lost = emitted - delivered. With
 *                   REPORT, print "at K" every REPORT records: the runner passes it to the
 *                   trigger, which keeps within reach of the consumer (measure.ts runEvents)
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
	uint64_t want, seen, out_of_order, seq_sum, report_every;
	int ordered; /* a ring buffer delivers in order; a perf buffer per CPU */
	uint64_t first_ns, last_ns, first_cpu, last_cpu;
};

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
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
	if (size < sizeof(*r) || (c->ordered && r->seq != c->seen)) c->out_of_order++;
	else c->seq_sum += r->seq;
	/* Only the first and the last record are timed: a clock read per record would cost the
	 * Wasm side a host call each and distort what is measured. */
	if (c->seen == 0) {
		c->first_ns = now_ns();
		c->first_cpu = cpu_ns();
	}
	if (++c->seen == c->want) {
		c->last_cpu = cpu_ns();
		c->last_ns = now_ns();
	} else if (c->report_every && c->seen % c->report_every == 0) {
		printf("at %llu\n", (unsigned long long)c->seen);
		fflush(stdout);
	}
	return 0;
}

static uint64_t stat_value(int stats_fd, uint32_t k)
{
	uint64_t v = 0;
	plat_lookup(stats_fd, &k, &v);
	return v;
}

enum { STAT_EMITTED, STAT_FAILED }; /* events.bpf.h */

static int events(int perf, long n, uint64_t token, uint64_t batch, uint64_t report_every)
{
	const char *name = perf ? "perf" : "ring";
	int r = plat_load(perf ? OBJ_PERF : OBJ_MAIN);
	if (r) return fail("load", r);
	int buffer_fd = plat_map_fd(perf ? "wbb_perf" : "wbb_ring");
	int stats_fd = plat_map_fd("wbb_stats"), config_fd = plat_map_fd("wbb_config");
	if (buffer_fd < 0 || stats_fd < 0 || config_fd < 0) return fail("map_fd", -1);
	uint32_t k_token = 0, k_batch = 1; /* CONFIG_TOKEN, CONFIG_BATCH */
	r = plat_update(config_fd, &k_token, &token);
	if (!r) r = plat_update(config_fd, &k_batch, &batch);
	if (r) return fail("config", r);
	struct consumer c = { .want = (uint64_t)n, .ordered = !perf, .report_every = report_every };
	r = plat_buffer_open(buffer_fd, perf, on_record, &c);
	if (r) return fail("buffer_open", r);
	r = plat_attach(perf ? "wbb_perf_emit" : "wbb_ring_emit");
	if (r) return fail("attach", r);
	printf("ready\n");
	fflush(stdout);
	for (int idle = 0; c.seen < c.want;) {
		uint64_t before = c.seen;
		r = plat_buffer_poll(100);
		if (r < 0) return fail("poll", r);
		if (c.seen != before) {
			idle = 0;
			continue;
		}
		/* Nothing new: when the producer is done, what has not arrived is lost. */
		if (stat_value(stats_fd, STAT_EMITTED) >= c.want) break;
		if (++idle == IDLE_POLLS) return fail("waiting for the producer", -1);
	}
	if (c.seen < 2) return fail("consuming (fewer than 2 records arrived)", -1);
	if (c.seen < c.want) {
		c.last_cpu = cpu_ns();
		c.last_ns = now_ns();
	}
	uint64_t emitted = stat_value(stats_fd, STAT_EMITTED), failed = stat_value(stats_fd, STAT_FAILED);
	if (c.out_of_order) {
		fprintf(stderr, "bench: %llu of %llu records out of order or short\n", (unsigned long long)c.out_of_order,
			(unsigned long long)c.seen);
		return 1;
	}
	printf("result workload=%s ops=%llu ns=%llu cpu_ns=%llu", name, (unsigned long long)(c.seen - 1),
	       (unsigned long long)(c.last_ns - c.first_ns), (unsigned long long)(c.last_cpu - c.first_cpu));
	/* The sum of the seq numbers is the same on both sides only if both got every record once. */
	if (c.seen == c.want) printf(" check=%llu", (unsigned long long)c.seq_sum);
	printf(" delivered=%llu lost=%llu failed=%llu perf_lost=%llu\n", (unsigned long long)c.seen,
	       (unsigned long long)(emitted > c.seen ? emitted - c.seen : 0), (unsigned long long)failed,
	       (unsigned long long)plat_buffer_lost());
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int map = !strcmp(mode, "lookup") || !strcmp(mode, "update"), buffer = !strcmp(mode, "ring") || !strcmp(mode, "perf");
	if (!(map && n >= 2) && !(buffer && n >= 2 && argc > 4) && strcmp(mode, "startup")) {
		fprintf(stderr, "usage: bench lookup|update N | bench ring|perf N TOKEN BATCH [REPORT] | bench startup\n");
		return 2;
	}
	int r;
	if (buffer) {
		r = events(!strcmp(mode, "perf"), n, strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
			   argc > 5 ? strtoull(argv[5], NULL, 10) : 0);
	} else {
		r = plat_load(OBJ_MAIN);
		if (r) return fail("load", r);
		if (map) {
			r = map_ops(!strcmp(mode, "update"), n);
		} else {
			r = plat_attach("wbb_ring_emit");
			if (r) { plat_close(); return fail("attach", r); }
			printf("ready\n");
			fflush(stdout);
		}
	}
	plat_close();
	return r;
}
