// One published figure of `npm run bench` (issue 7): an entry of bench/results/latest.json's
// `figures`. `native` is the native libbpf program's figure, or, for the comparisons with a
// container (startup through runc, image size), the container's.
export interface Figure {
  /** Stable id, e.g. 'map-lookup', 'ring-cpu-per-record', 'ctr-run-to-first-event'. */
  name: string;
  /** Unit of wasmbpf and native: 'ns/op', 'ns/record', 'records/s', 'records', 'ms', 'bytes', 'MiB', ... */
  unit: string;
  /** Median over the runs. */
  wasmbpf: number;
  native: number;
  /** wasmbpf / native, rounded to 2 decimals, or 3 significant digits below 1 (0 when native is 0). */
  ratio: number;
  /** The ratio to reach (lower is better), or null where the figure has no ratio target (see `limit`, `mustBeZero`). */
  target: number | null;
  /** An absolute ceiling for the wasmbpf figure, in `unit` (e.g. 10 for 'MiB' per extra module). */
  limit?: number;
  /** For counts that must be 0 on both sides (lost records). */
  mustBeZero?: boolean;
  /** What was measured, one line. */
  what: string;
  /** Every run's value, run order, for both sides. */
  samples?: { wasmbpf: number[]; native: number[] };
  /** Why a missed target is missed, with the profile's finding (docs/benchmarks.md has the long form). */
  note?: string;
  /** Start-up figures: median ms since the process started at each phase (`wasmbpf run --debug`). */
  phases?: Record<string, number>;
}

export function ratioOf(wasmbpf: number, native: number): number {
  if (native === 0) return 0;
  const r = wasmbpf / native;
  // 1/20 of a container image is 0.05: two decimals would round a 0.004 to nothing.
  return r >= 1 || r === 0 ? Math.round(r * 100) / 100 : Number(r.toPrecision(3));
}

/** Met when the ratio is within the target, and counts that must be zero are zero on both sides. */
export function targetMet(f: Figure): boolean | null {
  if (f.mustBeZero) return f.wasmbpf === 0 && f.native === 0;
  if (f.limit !== undefined) return f.wasmbpf <= f.limit && (f.target === null || f.ratio <= f.target);
  return f.target === null ? null : f.ratio <= f.target;
}
