// Kernel enum bpf_map_type values the host treats specially.
export const MapType = {
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_PERCPU_HASH: 10,
  PERCPU_CGROUP_STORAGE: 21,
  RINGBUF: 27,
} as const;

const PER_CPU = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE]);

export function isPerCpuMap(type: number): boolean {
  return PER_CPU.has(type);
}

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
