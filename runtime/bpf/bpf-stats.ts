// The kernel's BPF run-time stats (each program's run_cnt and run_time_ns), on while some module
// of this process asks for them. BPF_ENABLE_STATS hands back an fd that keeps them on while it is
// open, whatever kernel.bpf_stats_enabled says, and the kernel restores the sysctl's state when
// the last such fd closes: one fd for the process, opened by the first module that asks and
// closed when the last one ends, so stats never stay on after us (they cost two clock reads per
// program run). Runs on the controlling thread (start-module.ts).
import { lastErrno, lib, libcFns } from './libbpf.ts';

/** enum bpf_stats_type */
const BPF_STATS_RUN_TIME = 0;

export interface RunTimeStats {
  /** The kernel counts program run time for us (also true when the sysctl already had it on). */
  readonly enabled: boolean;
  /** Why not, when not (e.g. a kernel before 5.8, or no CAP_SYS_ADMIN). */
  readonly reason?: string;
  /** Idempotent; the fd closes with the last holder. */
  release(): void;
}

let fd = -1;
let holders = 0;

export function acquireRunTimeStats(): RunTimeStats {
  if (fd < 0) {
    const r = lib.enable_stats(BPF_STATS_RUN_TIME) as number;
    if (r < 0) {
      const errno = -r || lastErrno();
      return { enabled: false, reason: `the kernel refused BPF_ENABLE_STATS (errno ${errno})`, release() {} };
    }
    fd = r;
  }
  holders++;
  let released = false;
  return {
    enabled: true,
    release() {
      if (released) return;
      released = true;
      if (--holders === 0) {
        libcFns.close(fd);
        fd = -1;
      }
    },
  };
}

/** How many modules hold the stats on (for tests: 0 once every module has ended). */
export function runTimeStatsHolders(): number {
  return holders;
}
