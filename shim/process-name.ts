// What `ps`, `pgrep -f` and top call the shim server: `containerd-shim-wasmbpf-v1`, like the
// binary containerd runs (runc's shim shows as `containerd-shim-runc-v2`), not `node`. argv[0]
// is set when `start` spawns it (the rest of the command line stays as it is: `-namespace`,
// `-address`, `-socket` ... tell servers apart, and the tests and benchmarks find them by those),
// and the kernel's name of its main thread (/proc/PID/comm, what `ps -e`, `top` and plain
// `pgrep` match) is set here, cut to the kernel's 15 characters as for runc's shim.
import fs from 'node:fs';
import { SHIM_BINARY } from './names.ts';

const COMM_MAX = 15;

/** Names this process's main thread (called on the main thread, before any worker starts). */
export function nameShimProcess(): void {
  try {
    fs.writeFileSync('/proc/self/comm', SHIM_BINARY.slice(0, COMM_MAX));
  } catch {
    // no procfs: the name is only cosmetic
  }
}
