// The benchmark's results: per workload the median time per operation of each side over the
// runs, and the ratio wasmbpf / native; printed as a table and written as JSON
// (bench/results/latest.json; a committed per-machine copy is bench/results/ARCH-nodeN.json).
import type { MachineFacts } from './machine.ts';
import type { Sample } from './measure.ts';

export interface SideResult {
  /** Median nanoseconds per operation over the runs. */
  nsPerOp: number;
  /** Nanoseconds per operation of every run, in run order. */
  samples: number[];
}

export interface WorkloadResult {
  name: string;
  what: string;
  opsPerRun: number;
  native: SideResult;
  wasmbpf: SideResult;
  /** wasmbpf / native: 1.5 means wasmbpf takes 50% longer. */
  ratio: number;
}

export interface BenchReport {
  schema: 1;
  date: string;
  machine: MachineFacts;
  settings: { runs: number; quick: boolean; mapOps: number; ringRecords: number; retries: number; wasmbpfPath: 'dist' | 'tsx'; wasmbpfPathNote?: string };
  workloads: WorkloadResult[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function sideResult(samples: Sample[]): SideResult {
  const perOp = samples.map((s) => s.ns / s.ops);
  return { nsPerOp: round(median(perOp)), samples: perOp.map(round) };
}

function round(ns: number): number {
  return Math.round(ns * 10) / 10;
}

export function formatTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatRatio(ratio: number): string {
  return ratio >= 100 ? `${ratio.toFixed(0)}×` : `${ratio.toFixed(2)}×`;
}

/** A fixed-width table: workload, native/op, wasmbpf/op, ratio. */
export function formatTable(workloads: WorkloadResult[]): string {
  const rows = [['workload', 'native/op', 'wasmbpf/op', 'ratio'],
    ...workloads.map((w) => [w.name, formatTime(w.native.nsPerOp), formatTime(w.wasmbpf.nsPerOp), formatRatio(w.ratio)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
