// A static native program for the shim's runc path (the pod's pause container, a sidecar):
//   native exit N   prints its argv and exits with status N
//   native sleep    sleeps until SIGTERM/SIGINT, then exits 0
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

int main(int argc, char **argv) {
  printf("native argc=%d", argc);
  for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  fflush(stdout);
  if (argc > 2 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  for (;;) pause();
}
