// The kernel's map types (enum bpf_map_type): their names, as policies, stats and metrics spell
// them, and the facts the host needs about some of them.
export const MapType = {
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_PERCPU_HASH: 10,
  PERCPU_CGROUP_STORAGE: 21,
  RINGBUF: 27,
} as const;

const NAMES: Readonly<Record<number, string>> = {
  1: 'hash', 2: 'array', 3: 'prog_array', 4: 'perf_event_array', 5: 'percpu_hash', 6: 'percpu_array',
  7: 'stack_trace', 8: 'cgroup_array', 9: 'lru_hash', 10: 'lru_percpu_hash', 11: 'lpm_trie',
  12: 'array_of_maps', 13: 'hash_of_maps', 14: 'devmap', 15: 'sockmap', 16: 'cpumap', 17: 'xskmap',
  18: 'sockhash', 19: 'cgroup_storage', 20: 'reuseport_sockarray', 21: 'percpu_cgroup_storage',
  22: 'queue', 23: 'stack', 24: 'sk_storage', 25: 'devmap_hash', 26: 'struct_ops', 27: 'ringbuf',
  28: 'inode_storage', 29: 'task_storage', 30: 'bloom_filter', 31: 'user_ringbuf', 32: 'cgrp_storage',
};

/** The type's name without BPF_MAP_TYPE_ and in lower case ("ringbuf"); undefined for a number this table does not know. */
export function mapTypeName(type: number): string | undefined {
  return NAMES[type];
}

const PER_CPU = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE]);

function isPerCpuMap(type: number): boolean {
  return PER_CPU.has(type);
}

/** Map types whose values are fds: prog_array, perf_event_array, cgroup_array, array/hash_of_maps, sockmap, xskmap, sockhash, reuseport_sockarray. */
export const FD_VALUED_MAP_TYPES: ReadonlySet<number> = new Set([3, 4, 8, 12, 13, 15, 17, 18, 20]);

/** Bytes a value buffer needs: per-CPU maps hold one 8-byte-aligned slot per possible CPU. */
export function valueBufferSize(type: number, valueSize: number, possibleCpus: number): number {
  return isPerCpuMap(type) ? Math.ceil(valueSize / 8) * 8 * possibleCpus : valueSize;
}

export interface MapInfo {
  name: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
}
