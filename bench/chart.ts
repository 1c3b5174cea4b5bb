// The benchmark's chart (docs/bench-chart.svg, shown by the README): one row per figure, a bar
// from the native line (ratio 1) to the ratio wasmbpf / native on a log scale, so 2× slower and
// 2× faster are the same length, with the figure's target as a tick. Green where the target is
// met, red where it is missed, grey where the figure has no ratio target (records per second).
// Counts that must be zero (records lost) are a line of text; a figure judged by an absolute
// limit (memory per extra module) draws its value against that limit instead of a ratio.
// Hand-written SVG: no dependency, and the file diffs as text.
import fs from 'node:fs';
import path from 'node:path';
import { targetMet, type Figure } from './figure.ts';
import { formatRatio, formatValue, type BenchReport } from './report.ts';

const WIDTH = 900;
const ROW = 26;
const TOP = 64;
const LABEL_X = 12;
const BAR_X0 = 250;
const BAR_X1 = 640;
const TEXT_X = 652;
const COLOURS = { met: '#2e7d32', missed: '#c62828', axis: '#455a64', grid: '#cfd8dc' };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** What a figure draws: a ratio (or value / limit) and where its target tick goes. */
function drawn(f: Figure): { value: number; tick: number | null; text: string } | null {
  if (f.mustBeZero) return null;
  if (f.target === null && f.limit !== undefined && f.limit > 0) {
    return { value: f.wasmbpf / f.limit, tick: 1, text: `${formatValue(f.wasmbpf, f.unit)} (limit ${formatValue(f.limit, f.unit)})` };
  }
  const target = f.target === null ? '' : ` (target ≤ ${f.target}×)`;
  return { value: f.ratio, tick: f.target, text: `${formatRatio(f.ratio)}${target}` };
}

export function renderChart(report: BenchReport): string {
  const rows = report.figures.filter((f) => f.mustBeZero || f.target !== null || f.limit !== undefined);
  const points = rows.flatMap((f) => {
    const d = drawn(f);
    return d ? [d.value, ...(d.tick === null ? [] : [d.tick])].filter((v) => v > 0) : [];
  });
  // Log scale over the data, always showing 0.5 to 2.5 around the native line.
  const lo = Math.log10(Math.min(0.5, ...points) / 1.25);
  const hi = Math.log10(Math.max(2.5, ...points) * 1.25);
  const x = (ratio: number) => BAR_X0 + ((Math.log10(Math.max(ratio, 10 ** lo)) - lo) / (hi - lo)) * (BAR_X1 - BAR_X0);
  const height = TOP + rows.length * ROW + 40;
  const m = report.machine;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LABEL_X}" y="20" font-size="15" font-weight="bold">${esc('wasmbpf / native (log scale; left of the line is faster or smaller)')}</text>`,
    `<text x="${LABEL_X}" y="38" fill="${COLOURS.axis}">${esc(`${report.date.slice(0, 10)} · ${m.cpus}× ${m.cpu} · kernel ${m.kernel} · Node ${m.node} · median of ${report.settings.runs} run${report.settings.runs > 1 ? 's' : ''} · load average ${m.loadAverage[0] ?? '?'} at the end${report.settings.quick ? ' · QUICK RUN, not a measurement' : ''}`)}</text>`,
  ];
  // Grid: powers of ten and the 2s and 5s between them that fall in range.
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const k of [1, 2, 5]) {
      const r = k * 10 ** e;
      if (Math.log10(r) < lo || Math.log10(r) > hi) continue;
      const gx = x(r).toFixed(1);
      out.push(`<line x1="${gx}" y1="${TOP - 8}" x2="${gx}" y2="${TOP + rows.length * ROW}" stroke="${r === 1 ? COLOURS.axis : COLOURS.grid}" stroke-width="${r === 1 ? 1.5 : 1}"/>`,
        `<text x="${gx}" y="${TOP - 12}" text-anchor="middle" fill="${COLOURS.axis}">${r === 1 ? 'native' : `${r}×`}</text>`);
    }
  }
  rows.forEach((f, i) => {
    const y = TOP + i * ROW;
    const mid = y + ROW / 2;
    out.push(`<text x="${LABEL_X}" y="${mid + 4}">${esc(f.name)}</text>`);
    const met = targetMet(f);
    const colour = met ? COLOURS.met : COLOURS.missed;
    const d = drawn(f);
    if (!d) {
      const mark = met ? '✓' : '✗';
      out.push(`<text x="${BAR_X0}" y="${mid + 4}" fill="${colour}">${esc(`${mark} native ${formatValue(f.native, f.unit)}, wasmbpf ${formatValue(f.wasmbpf, f.unit)} (must be 0)`)}</text>`);
      return;
    }
    const x1 = x(1), xv = x(d.value);
    out.push(`<rect x="${Math.min(x1, xv).toFixed(1)}" y="${y + 6}" width="${Math.max(1, Math.abs(xv - x1)).toFixed(1)}" height="${ROW - 12}" fill="${colour}"/>`);
    if (d.tick !== null && d.tick > 0) {
      const tx = x(d.tick).toFixed(1);
      out.push(`<line x1="${tx}" y1="${y + 2}" x2="${tx}" y2="${y + ROW - 2}" stroke="#000000" stroke-width="2"/>`);
    }
    out.push(`<text x="${TEXT_X}" y="${mid + 4}" fill="${colour}">${esc(d.text)}</text>`);
  });
  const legendY = TOP + rows.length * ROW + 24;
  out.push(`<text x="${LABEL_X}" y="${legendY}" fill="${COLOURS.axis}">${esc('black tick: target · green: met · red: missed · memory per extra module: value / limit · every figure and run: bench/results/latest.json')}</text>`,
    '</svg>', '');
  return out.join('\n');
}

export function writeChart(file: string, report: BenchReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, renderChart(report));
}
