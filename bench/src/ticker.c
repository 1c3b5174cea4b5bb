/* The container benchmarks' event source: calls getpgid(987654321) every millisecond until
 * killed; firstevent.bpf.c turns each call into one record. A millisecond bounds the wait
 * between a tool's attach and its first event, next to start-up times of a hundred or more. */
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (;;) {
		syscall(SYS_getpgid, 987654321L);
		usleep(1000);
	}
}
