// A tiny WASI program for the shim's integration tests (no eBPF): it prints its argv, then
//   probe exit N   exits with status N
//   probe trap     executes `unreachable`
//   probe sleep    sleeps until stopped
//   probe spam     writes lines to stdout until stopped
//   probe grow     allocates (and touches) 1 MiB at a time, aborts when malloc fails
//   probe          writes a line to stderr and exits 0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Chained so the compiler cannot drop the allocations as unused.
static void *volatile chain;

int main(int argc, char **argv) {
  printf("probe argc=%d", argc);
  for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  fflush(stdout);
  if (argc > 2 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  if (argc > 1 && strcmp(argv[1], "trap") == 0) __builtin_trap();
  if (argc > 1 && strcmp(argv[1], "spam") == 0) {
    for (unsigned long i = 0;; i++) printf("spam %lu ..........................................................\n", i);
  }
  if (argc > 1 && strcmp(argv[1], "grow") == 0) {
    for (unsigned long mib = 0;; mib++) {
      char *p = malloc(1 << 20);
      if (!p) {
        printf("malloc failed after %lu MiB\n", mib);
        fflush(stdout);
        abort();
      }
      memset(p, 1, 1 << 20);
      *(void **)p = chain;
      chain = p;
    }
  }
  if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
    for (;;) sleep(1);
  }
  fprintf(stderr, "probe stderr line\n");
  return 0;
}
