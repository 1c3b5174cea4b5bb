// Stats for Wasm tasks, as the cgroups metrics containerd's clients decode (`ctr task metrics`,
// the CRI plugin's ListContainerStats). A Wasm task is a thread of a shim process that may hold
// several tasks, not a cgroup of its own, so the figures are the task's own
// (runtime ModuleUsage): the CPU time of its module's thread, and as memory its Wasm memory plus
// its worker's V8 heap in use, plus the memory of its eBPF maps (ModuleStats), which the kernel
// charges to the memory cgroup of the process that made them: v1 reports it as kernel memory as
// well, v2's message has no such field. The time the kernel spends in the task's eBPF programs
// is not added to its CPU: the kernel charges it to whichever process the program ran in (the
// Prometheus endpoint reports it on its own, wasmbpf_program_run_time_seconds_total). The message is cgroups v1 or v2 to match the host, because
// clients pick their decoder by the Any's type. Only the fields we can fill honestly are defined
// here, with the field numbers of github.com/containerd/cgroups.
import fs from 'node:fs';
import protobuf from 'protobufjs';
import type { ModuleUsage } from '../runtime/index.ts';
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
        MemoryStat: { fields: { rss: u64(2), totalRss: u64(19), usage: { type: 'MemoryEntry', id: 33 }, kernel: { type: 'MemoryEntry', id: 35 } } },
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

/** One task's usage as a cgroups Metrics Any (v2 when the host runs cgroup v2). */
export function taskMetrics(usage: ModuleUsage, v2 = isCgroupV2(), mapBytes = 0): Any {
  const userNs = usage.cpuUserNs, systemNs = usage.cpuSystemNs;
  const anon = usage.wasmMemoryBytes + usage.heapUsedBytes;
  const memory = anon + mapBytes;
  // One thread runs the module: the task's one "pid" while it runs.
  const pids = { current: anon > 0 ? 1 : 0 };
  if (v2) {
    const type = root.lookupType('v2.Metrics');
    const us = (ns: number) => Math.round(ns / 1000);
    const message = { pids, cpu: { usageUsec: us(userNs + systemNs), userUsec: us(userNs), systemUsec: us(systemNs) }, memory: { anon, usage: memory } };
    return { type_url: V2_TYPE, value: type.encode(type.fromObject(message)).finish() };
  }
  const type = root.lookupType('v1.Metrics');
  const message = {
    pids,
    cpu: { usage: { total: userNs + systemNs, kernel: systemNs, user: userNs } },
    memory: { rss: anon, totalRss: anon, usage: { usage: memory }, kernel: { usage: mapBytes } },
  };
  return { type_url: V1_TYPE, value: type.encode(type.fromObject(message)).finish() };
}

/** For tests: decode what taskMetrics made. */
export function decodeMetrics(any: Any): Record<string, unknown> {
  const type = root.lookupType(any.type_url === V2_TYPE ? 'v2.Metrics' : 'v1.Metrics');
  return type.toObject(type.decode(any.value), { longs: Number }) as Record<string, unknown>;
}
