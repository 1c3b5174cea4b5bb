// The ring and perf workloads' producer: calls getpgid(TOKEN) N times; the tracepoint programs
// (events.bpf.h) turn each call into a burst of records. Prints "produced N ns=T" (its own wall
// time).
// With BATCH and MAX_LAG it follows the consumer: it reads "at K" lines (records the consumer
// has delivered, forwarded by the runner from the consumer's stdout) on stdin, and before each
// call waits until the records emitted so far are at most MAX_LAG ahead of K, so a consumer
// that is briefly descheduled does not overflow a perf buffer that cannot hold a whole run.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) { fprintf(stderr, "usage: trigger TOKEN N [BATCH MAX_LAG]\n"); return 2; }
	long token = atol(argv[1]), n = atol(argv[2]);
	long batch = argc > 3 ? atol(argv[3]) : 0, max_lag = argc > 4 ? atol(argv[4]) : 0;
	long delivered = 0;
	char line[64];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		while (batch > 0 && i * batch - delivered > max_lag) {
			if (!fgets(line, sizeof(line), stdin)) { fprintf(stderr, "trigger: the consumer stopped reporting\n"); return 1; }
			if (sscanf(line, "at %ld", &delivered) != 1) { fprintf(stderr, "trigger: bad progress line '%s'\n", line); return 1; }
		}
		syscall(SYS_getpgid, token);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("produced %ld ns=%lld\n", n, (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
