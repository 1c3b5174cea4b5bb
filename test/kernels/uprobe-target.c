// SPDX-License-Identifier: MIT
/* The uprobe example's target in the matrix guests: calls uprobe_add(i, 10 * i) for i = 1..3 and
 * exits 0. Freestanding (raw exit syscall, no C library), so clang alone builds it for x86_64 and
 * for arm64: the arm64 guest's tree has no C headers or start files to build the example's own
 * uprobe_target.c against. */
__attribute__((noinline, used)) int uprobe_add(int a, int b)
{
	asm volatile("" ::: "memory"); /* a real call, not folded away */
	return a + b;
}

static __attribute__((noreturn)) void sys_exit(long code)
{
#if defined(__x86_64__)
	asm volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x0 asm("x0") = code;
	register long x8 asm("x8") = 93;
	asm volatile("svc 0" : : "r"(x0), "r"(x8) : "memory");
#else
#error "uprobe-target.c: add this architecture's exit syscall"
#endif
	__builtin_unreachable();
}

#if defined(__x86_64__)
__attribute__((force_align_arg_pointer)) /* the kernel enters _start with no return address pushed */
#endif
void _start(void)
{
	volatile int sum = 0;
	for (int i = 1; i <= 3; i++)
		sum += uprobe_add(i, 10 * i);
	sys_exit(sum == 66 ? 0 : 1);
}
