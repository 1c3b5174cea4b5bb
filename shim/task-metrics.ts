// Stats for Wasm tasks, as the cgroups metrics containerd's clients decode (`ctr task metrics`,
// the CRI plugin's ListContainerStats). A Wasm task is a thread of the shim process, not a
// cgroup of its own, so the numbers are the shim process's: exact for `ctr run` (one task per
// shim), the pod's Wasm containers together under CRI. The message is cgroups v1 or v2 to match
// the host, because clients pick their decoder by the Any's type. Only the fields we can fill
// honestly are defined here, with the field numbers of github.com/containerd/cgroups.
import fs from 'node:fs';
import protobuf from 'protobufjs';
import type { Any } from './protos.ts';

const u64 = (id: number) => ({ type: 'uint64', id });
const root = protobuf.Root.fromJSON({
  nested: {
    v1: {
      nested: {
        Metrics: { fields: { pids: { type: 'PidsStat', id: 2 }, cpu: { type: 'CPUStat', id: 3 }, memory: { type: 'MemoryStat', id: 4 } } },
        PidsStat: { fields: { current: u64(1), limit: u64(2) } },
        CPUStat: { fields: { usage: { type: 'CPUUsage', id: 1 } } },
        CPUUsage: { fields: { total: u64(1), kernel: u64(2), user: u64(3) } },
        MemoryStat: { fields: { rss: u64(2), totalRss: u64(19), usage: { type: 'MemoryEntry', id: 33 } } },
        MemoryEntry: { fields: { limit: u64(1), usage: u64(2), max: u64(3) } },
      },
    },
    v2: {
      nested: {
        Metrics: { fields: { pids: { type: 'PidsStat', id: 1 }, cpu: { type: 'CPUStat', id: 2 }, memory: { type: 'MemoryStat', id: 4 } } },
        PidsStat: { fields: { current: u64(1), limit: u64(2) } },
        CPUStat: { fields: { usageUsec: u64(1), userUsec: u64(2), systemUsec: u64(3) } },
        MemoryStat: { fields: { anon: u64(1), usage: u64(32) } },
      },
    },
  },
});

export const V1_TYPE = 'io.containerd.cgroups.v1.Metrics';
export const V2_TYPE = 'io.containerd.cgroups.v2.Metrics';

export function isCgroupV2(): boolean {
  return fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
}

function threadCount(): number {
  const match = /^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : 1;
}

/** The shim process's usage as a cgroups Metrics Any (v2 when the host runs cgroup v2). */
export function processMetrics(v2 = isCgroupV2()): Any {
  const cpu = process.cpuUsage(); // microseconds
  const rss = process.memoryUsage().rss;
  const pids = { current: threadCount() };
  if (v2) {
    const type = root.lookupType('v2.Metrics');
    const message = { pids, cpu: { usageUsec: cpu.user + cpu.system, userUsec: cpu.user, systemUsec: cpu.system }, memory: { anon: rss, usage: rss } };
    return { type_url: V2_TYPE, value: type.encode(type.fromObject(message)).finish() };
  }
  const type = root.lookupType('v1.Metrics');
  const message = {
    pids,
    cpu: { usage: { total: (cpu.user + cpu.system) * 1000, kernel: cpu.system * 1000, user: cpu.user * 1000 } },
    memory: { rss, totalRss: rss, usage: { usage: rss } },
  };
  return { type_url: V1_TYPE, value: type.encode(type.fromObject(message)).finish() };
}

/** For tests: decode what processMetrics made. */
export function decodeMetrics(any: Any): Record<string, unknown> {
  const type = root.lookupType(any.type_url === V2_TYPE ? 'v2.Metrics' : 'v1.Metrics');
  return type.toObject(type.decode(any.value), { longs: Number }) as Record<string, unknown>;
}
