// Resource limits for Wasm tasks. A Wasm task is a thread of the shim process, and a thread
// group lives in one cgroup, so a pod's shim process itself joins the cgroup the spec names
// (linux.cgroupsPath, as containerd and the CRI plugin set it) with the spec's cpu and pids
// limits, and leaves it (back to where it was, removing the cgroup) when that task is deleted.
// In a pod, the first Wasm container's cgroup holds the pod's whole shim (its other Wasm
// containers share it; logged). cgroupfs-style paths only: a systemd-style path
// ("slice:prefix:name") is logged and left alone.
//
// The memory limit is not written here. It belongs to one task, and the process holds several
// (and the runtime and its spare workers besides): a cgroup limit would OOM-kill the server and
// every task in it. The task's own memory is capped instead (container/node-policy.ts
// taskMemoryLimit: its Wasm memory and its worker's heap), and reaching that ends the task alone,
// reported as an OOM kill.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log.ts';

const ROOT = '/sys/fs/cgroup';

/** The OCI spec's linux.resources, the parts applied here. */
export interface LinuxResources {
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit?: number };
}

interface Hierarchy {
  /** Mount point of the hierarchy, e.g. /sys/fs/cgroup/memory (v1) or /sys/fs/cgroup (v2). */
  mount: string;
  /** Where this process was before joining, relative to the mount. */
  original: string;
}

function isV2(): boolean {
  return fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
}

/** This process's hierarchies: v2's one, or every v1 controller mounted under /sys/fs/cgroup. */
function hierarchies(): Hierarchy[] {
  const lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => l.split(':'));
  if (isV2()) return [{ mount: ROOT, original: lines.find((l) => l[0] === '0')?.[2] ?? '/' }];
  const out: Hierarchy[] = [];
  for (const [, controllers, original] of lines) {
    if (!controllers || controllers.startsWith('name=')) continue;
    const mount = path.join(ROOT, controllers);
    // co-mounted controllers (cpu,cpuacct) appear as one line and one mount (+ symlinks)
    if (fs.existsSync(path.join(mount, 'cgroup.procs'))) out.push({ mount, original: original ?? '/' });
  }
  return out;
}

function write(file: string, value: string | number): void {
  fs.writeFileSync(file, String(value));
}

export class TaskCgroup {
  readonly path: string;
  readonly #hierarchies: Hierarchy[];
  readonly #created: string[];
  readonly #log: Logger;
  #left = false;

  private constructor(cgroupPath: string, hierarchyList: Hierarchy[], created: string[], log: Logger) {
    this.path = cgroupPath;
    this.#hierarchies = hierarchyList;
    this.#created = created;
    this.#log = log;
  }

  /** Creates the cgroup, applies the limits and moves this process in; undefined when it cannot apply. */
  static join(cgroupPath: string | undefined, resources: LinuxResources | undefined, log: Logger): TaskCgroup | undefined {
    if (!cgroupPath) return undefined;
    if (!cgroupPath.startsWith('/')) {
      log.warn('cgroupsPath is not a cgroupfs path (systemd driver?); Wasm tasks stay in the shim\'s cgroup', { cgroupsPath: cgroupPath });
      return undefined;
    }
    const list = hierarchies();
    const created: string[] = [];
    const joined: Hierarchy[] = [];
    try {
      for (const h of list) created.push(...makeCgroup(h.mount, cgroupPath));
      const cgroup = new TaskCgroup(cgroupPath, list, created, log);
      cgroup.update(resources);
      for (const h of list) {
        write(path.join(h.mount, cgroupPath, 'cgroup.procs'), process.pid);
        joined.push(h);
      }
      log.info('shim joined the task cgroup', { cgroupsPath: cgroupPath });
      return cgroup;
    } catch (error) {
      for (const h of joined) {
        try {
          write(path.join(h.mount, h.original, 'cgroup.procs'), process.pid);
        } catch {
          // the original cgroup vanished; nothing better to do
        }
      }
      for (const dir of created.reverse()) tryRmdir(dir);
      log.warn('cannot apply the task cgroup; Wasm tasks stay in the shim\'s cgroup', { cgroupsPath: cgroupPath, error: (error as Error).message });
      return undefined;
    }
  }

  /** Applies the limits the spec (or an Update) gives; absent fields are left as they are. */
  update(resources: LinuxResources | undefined): void {
    if (!resources) return;
    const v2 = isV2();
    const at = (controller: string, file: string) => {
      const h = this.#hierarchies.find((x) => v2 || path.basename(x.mount).split(',').includes(controller));
      return h ? path.join(h.mount, this.path, file) : undefined;
    };
    const set = (controller: string, file: string, value: string | number) => {
      const target = at(controller, file);
      if (target && fs.existsSync(target)) write(target, value);
    };
    const { cpu, pids } = resources;
    if (cpu?.shares) {
      // cgroup v2 weight from v1 shares, the conversion runc uses
      set('cpu', v2 ? 'cpu.weight' : 'cpu.shares', v2 ? Math.round(1 + ((cpu.shares - 2) * 9999) / 262142) : cpu.shares);
    }
    if (cpu?.quota !== undefined && cpu.quota !== 0) {
      const period = cpu.period ?? 100_000;
      if (v2) set('cpu', 'cpu.max', `${cpu.quota > 0 ? cpu.quota : 'max'} ${period}`);
      else {
        set('cpu', 'cpu.cfs_period_us', period);
        set('cpu', 'cpu.cfs_quota_us', cpu.quota);
      }
    }
    if (pids?.limit !== undefined && pids.limit !== 0) set('pids', 'pids.max', pids.limit > 0 ? pids.limit : 'max');
  }

  /** Moves this process back where it was and removes what join created. Idempotent. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    for (const h of this.#hierarchies) {
      try {
        write(path.join(h.mount, h.original, 'cgroup.procs'), process.pid);
      } catch (error) {
        this.#log.warn('cannot leave the task cgroup', { mount: h.mount, error: (error as Error).message });
      }
    }
    for (const dir of [...this.#created].reverse()) tryRmdir(dir);
  }
}

/**
 * mkdir -p of a cgroup, one level at a time: a new v1 cpuset cgroup starts with no cpus and no
 * mems, and a process cannot join it (ENOSPC) until they are copied from the parent, as runc does.
 * Returns the directories it created, outermost first.
 */
function makeCgroup(mount: string, cgroupPath: string): string[] {
  const created: string[] = [];
  let dir = mount;
  for (const part of cgroupPath.split('/').filter(Boolean)) {
    const parent = dir;
    dir = path.join(dir, part);
    if (fs.existsSync(dir)) continue;
    fs.mkdirSync(dir);
    created.push(dir);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = path.join(dir, file);
      if (fs.existsSync(own) && fs.readFileSync(own, 'utf8').trim() === '') write(own, fs.readFileSync(path.join(parent, file), 'utf8').trim());
    }
  }
  return created;
}

/** rmdir (cgroup dirs hold only virtual files); quiet if busy or gone. */
export function tryRmdir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // still has members, or already removed
  }
}

/** `delete` after a crash: remove the task's cgroup if the dead shim left it behind (empty). */
export function removeTaskCgroup(cgroupPath: string | undefined): void {
  if (!cgroupPath?.startsWith('/')) return;
  for (const h of hierarchies()) tryRmdir(path.join(h.mount, cgroupPath));
}
