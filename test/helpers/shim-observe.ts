// What the shim tests look at from outside: shim server processes of one containerd, eBPF
// programs nobody owns any more, and a process's open fds.
import { execFileSync } from 'node:child_process';
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

/** How many eBPF programs and maps with these names are loaded (bpftool's view of the kernel). */
export function bpfObjects(programName: string, mapPrefix: string): { programs: number; maps: number } {
  const list = (kind: string) => JSON.parse(execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { name?: string }[];
  return {
    programs: list('prog').filter((p) => p.name === programName).length,
    maps: list('map').filter((m) => m.name?.startsWith(mapPrefix)).length,
  };
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
