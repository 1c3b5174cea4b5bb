// What the CRI tests look at from outside: processes under a containerd's dir, the pods' network
// namespaces, CRI log files. (eBPF objects: bpf-state.ts; waiting: wait.ts.)
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Processes whose cwd is inside this containerd's dir, containerd itself aside: shims (cwd = the
 * bundle) and container processes (cwd inside their rootfs).
 */
export function processesUnder(dir: string, containerdPid: number): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== containerdPid)) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) {
        out.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`);
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return out;
}

/** CRI log lines ("<RFC3339Nano> <stream> <P|F> <text>") of one stream. */
export function criLogLines(path: string, stream: 'stdout' | 'stderr'): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => /^\S+ (stdout|stderr) [PF] (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === stream)
    .map((m) => m[2] ?? '');
}

/** The network namespaces the CRI plugin creates for pods (cni-<uuid> under /var/run/netns). */
export function podNetns(): Set<string> {
  return new Set(existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter((n) => n.startsWith('cni-')) : []);
}
