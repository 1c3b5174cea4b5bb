/* SPDX-License-Identifier: MIT */
/*
 * Force-included (clang -include) when an eBPF object for arm64 is built against another
 * architecture's vmlinux.h. libbpf's bpf_tracing.h reads arm64 registers through
 * `struct user_pt_regs`, which only an arm64 vmlinux.h defines. This is arm64's UAPI layout
 * (arch/arm64/include/uapi/asm/ptrace.h), a stable ABI: the kernel's struct pt_regs on arm64
 * begins with it, so PT_REGS_PARM1() and friends read the right bytes. Accesses that go
 * through BPF_CORE_READ (the syscall wrappers' orig_x0, any kernel struct field) are
 * relocated by libbpf at load time against the running arm64 kernel's BTF, so the x86_64
 * offsets vmlinux.h implies are never used there.
 */
#ifndef WASMBPF_ARM64_PT_REGS_H
#define WASMBPF_ARM64_PT_REGS_H
struct user_pt_regs {
	unsigned long long regs[31];
	unsigned long long sp;
	unsigned long long pc;
	unsigned long long pstate;
};
#endif
