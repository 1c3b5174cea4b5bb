// The benchmark's results: one Figure per published number (bench/figure.ts), printed as a table
// and written as JSON (bench/results/latest.json; a committed per-machine copy is
// bench/results/ARCH-nodeN.json).
import { targetMet, type Figure } from './figure.ts';
import type { MachineFacts } from './machine.ts';

export interface BenchSettings {
  runs: number;
  quick: boolean;
  mapOps: number;
  /** Records per ring and perf run, and how many the eBPF side emits per trigger syscall. */
  records: number;
  recordsPerTrigger: number;
  /** Runs that failed once and were repeated (a shared machine can disturb one). */
  retries: number;
  wasmbpfPath: 'dist' | 'tsx';
  wasmbpfPathNote?: string;
  /** Workload groups run (lookup, update, ring, perf, startup, containers). */
  groups: string[];
}

export interface BenchReport {
  schema: 2;
  date: string;
  machine: MachineFacts;
  settings: BenchSettings;
  figures: Figure[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Rounded to 3 significant digits (at least the integer part): enough for a ratio of medians. */
export function round(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(digits));
}

export function formatTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** A value with its unit, times scaled to a readable unit. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ns/op' || unit === 'ns/record') return `${formatTime(value)}${unit.slice(2)}`;
  if (unit === 'ms') return formatTime(value * 1e6);
  if (unit === 'bytes') {
    if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
    if (value >= 2 ** 10) return `${(value / 2 ** 10).toFixed(1)} KiB`;
    return `${value} B`;
  }
  if (unit === 'records/s') return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M/s` : `${(value / 1e3).toFixed(0)} k/s`;
  return `${round(value)} ${unit}`;
}

export function formatRatio(ratio: number): string {
  if (ratio >= 100) return `${ratio.toFixed(0)}×`;
  return ratio >= 0.1 || ratio === 0 ? `${ratio.toFixed(2)}×` : `${ratio.toPrecision(2)}×`;
}

function formatTarget(f: Figure): string {
  if (f.mustBeZero) return '0';
  const parts: string[] = [];
  if (f.target !== null) parts.push(`≤ ${f.target}×`);
  if (f.limit !== undefined) parts.push(`≤ ${formatValue(f.limit, f.unit)}`);
  return parts.join(', ') || '-';
}

/** A fixed-width table: name, unit, native, wasmbpf, ratio, target, met?. */
export function formatTable(figures: Figure[]): string {
  const met = (f: Figure) => ({ true: 'yes', false: 'NO', null: '-' })[String(targetMet(f)) as 'true' | 'false' | 'null'];
  const rows = [['figure', 'unit', 'native', 'wasmbpf', 'ratio', 'target', 'met'],
    ...figures.map((f) => [f.name, f.unit, formatValue(f.native, f.unit), formatValue(f.wasmbpf, f.unit), f.mustBeZero ? '-' : formatRatio(f.ratio), formatTarget(f), met(f)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
