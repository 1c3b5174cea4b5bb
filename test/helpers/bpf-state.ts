// What is loaded in the kernel, from bpftool: filtered by a name prefix, or by id (the objects a
// process holds open, from its fdinfo), so tests that run beside other eBPF users only look at
// their own programs, maps and links.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface Named { id: number; name?: string }

/**
 * bpftool lists ids, then opens each: an object freed in between (any other eBPF user on the
 * machine tearing down) makes it print an error entry and exit 255. Such a list is retaken.
 */
function list(kind: 'prog' | 'map' | 'link'): Named[] {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
      return out.trim() ? (JSON.parse(out) as Named[]) : [];
    } catch (error) {
      const stdout = String((error as { stdout?: unknown }).stdout ?? '');
      if (attempt >= 5 || !/can't get \w+ by id/.test(stdout)) throw error;
    }
  }
}

/** Every eBPF program loaded now: its id and name. */
export function loadedPrograms(): Named[] {
  return list('prog');
}

export function bpfObjectsNamed(prefix: string): { progs: string[]; maps: string[] } {
  return {
    progs: list('prog').filter((p) => p.name?.startsWith(prefix)).map((p) => `${p.id}:${p.name}`),
    maps: list('map').filter((m) => m.name?.startsWith(prefix)).map((m) => `${m.id}:${m.name}`),
  };
}

/** How many eBPF programs and maps with these names are loaded (bpftool's view of the kernel). */
export function bpfObjects(programName: string, mapPrefix: string): { programs: number; maps: number } {
  return {
    programs: list('prog').filter((p) => p.name === programName).length,
    maps: list('map').filter((m) => m.name?.startsWith(mapPrefix)).length,
  };
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

export interface BpfIds { prog: Set<number>; map: Set<number>; link: Set<number> }
const KINDS = ['prog', 'map', 'link'] as const;

/** Every eBPF program, map and link loaded now. */
export function bpfIds(): BpfIds {
  const ids = (kind: keyof BpfIds) => new Set(list(kind).map((o) => o.id));
  return { prog: ids('prog'), map: ids('map'), link: ids('link') };
}

/** What is loaded now that was not in `before`, as "KIND ID". */
export function newBpfObjects(before: BpfIds): string[] {
  const now = bpfIds();
  return KINDS.flatMap((kind) => [...now[kind]].filter((id) => !before[kind].has(id)).map((id) => `${kind} ${id}`));
}

/**
 * The programs, maps and links a process holds open (its fds' fdinfo: prog_id, map_id,
 * link_id): the objects one run of a tool owns, whoever else loads the same tool meanwhile.
 */
export function bpfIdsHeldBy(pid: number): BpfIds {
  const held: BpfIds = { prog: new Set(), map: new Set(), link: new Set() };
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return held; // the process has ended
  }
  for (const fd of fds) {
    let info: string;
    try {
      info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed while we looked
    }
    for (const m of info.matchAll(/^(prog|map|link)_id:\s+(\d+)$/gm)) held[m[1] as keyof BpfIds].add(Number(m[2]));
  }
  return held;
}

/** The ids of `ids` not in `minus`. */
export function bpfIdsExcept(ids: BpfIds, minus: BpfIds): BpfIds {
  const except = (kind: keyof BpfIds) => new Set([...ids[kind]].filter((id) => !minus[kind].has(id)));
  return { prog: except('prog'), map: except('map'), link: except('link') };
}

/** Kernel names (at most 15 characters) of these programs that are loaded now. */
export function programNames(ids: Set<number>): string[] {
  return list('prog').filter((p) => ids.has(p.id)).map((p) => p.name ?? '');
}

/**
 * Which of `ids` are still loaded after giving the kernel up to `ms` to free them ("KIND ID"):
 * tp_btf and fentry programs go with their trampoline after an RCU-tasks grace period, maps after
 * an RCU grace period, not at the moment their last fd closes.
 */
export async function stillLoaded(ids: BpfIds, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = bpfIds();
    const left = KINDS.flatMap((kind) => [...ids[kind]].filter((id) => now[kind].has(id)).map((id) => `${kind} ${id}`));
    if (!left.length || Date.now() > deadline) return left;
    await sleep(100);
  }
}
