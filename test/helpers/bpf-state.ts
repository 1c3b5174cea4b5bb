// What is loaded in the kernel, from bpftool, filtered by a name prefix so tests that run beside
// other eBPF users only look at their own programs and maps.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

interface Named { id: number; name?: string }

function list(kind: 'prog' | 'map'): Named[] {
  const out = execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as Named[]) : [];
}

export function bpfObjectsNamed(prefix: string): { progs: string[]; maps: string[] } {
  return {
    progs: list('prog').filter((p) => p.name?.startsWith(prefix)).map((p) => `${p.id}:${p.name}`),
    maps: list('map').filter((m) => m.name?.startsWith(prefix)).map((m) => `${m.id}:${m.name}`),
  };
}

export function linkCount(): number {
  const out = execFileSync('bpftool', ['-j', 'link', 'show'], { encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as unknown[]).length : 0;
}

export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/**
 * What is still loaded under the prefix, after giving the kernel up to `ms` to finish freeing:
 * maps and trampolines go after an RCU grace period, not at the moment their last fd closes.
 */
export async function leftAfterRelease(prefix: string, ms = 3000): Promise<{ progs: string[]; maps: string[] }> {
  const deadline = Date.now() + ms;
  let left = bpfObjectsNamed(prefix);
  while ((left.progs.length || left.maps.length) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = bpfObjectsNamed(prefix);
  }
  return left;
}
