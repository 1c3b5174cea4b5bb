// What the shim tests look at from outside: shim server processes of one containerd and a
// process's open fds. (eBPF objects: bpf-state.ts.)
import { readFileSync, readdirSync } from 'node:fs';

/** Pids of wasmbpf shim processes started for the containerd at this gRPC address. */
export function shimPids(address: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('shim/main.ts') || a.endsWith('shim/main.js')) && argv.includes(address)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
