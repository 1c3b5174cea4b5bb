// `npm run bench`: wasmbpf against native libbpf on the same work (issue 7). Builds the
// programs (build.ts), runs every kernel workload `runs` times on each side, alternating which
// side goes first, turns the medians into Figures (figure.ts: value of each side, ratio wasmbpf /
// native, target), adds the container figures (containers.ts), and reports them as a table, as
// JSON and as an SVG chart (report.ts, chart.ts). Times are taken inside the programs
// (measure.ts), so process start-up and the runner's own overhead are not in them, except in the
// start-up workload, which is exactly that.
//
// Needs root (it loads eBPF). Everything it loads belongs to the programs it starts, which
// unload it when they exit; at the end it checks that no wbb_ program or map is left.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPrograms, type BenchPrograms } from './build.ts';
import { writeChart } from './chart.ts';
import { BenchError } from './errors.ts';
import { ratioOf, type Figure } from './figure.ts';
import { machineFacts } from './machine.ts';
import { killChildren, runEvents, runMapOps, runStartup, type Program, type Sample } from './measure.ts';
import { formatTable, formatTime, median, round, type BenchReport } from './report.ts';
import { prepareWasmbpfCli } from './wasmbpf-cli.ts';
import { closeModuleStart, moduleStartInServer } from './module-start.ts';

const GROUPS = ['lookup', 'update', 'ring', 'perf', 'startup', 'warm-start', 'stats', 'containers'];
const root = path.resolve(import.meta.dirname, '..');
const DOCS_CHART = path.join(root, 'docs', 'bench-chart.svg');
/** Records the eBPF side emits per trigger syscall (bench/src/events.bpf.h says why not 1). */
const RECORDS_PER_TRIGGER = 64;

const HELP = `Usage: npm run bench -- [OPTIONS]

Runs each kernel workload as a native libbpf program and as a Wasm guest under wasmbpf, the
container comparisons against runc, and prints every figure with the ratio wasmbpf / native and
its target. Needs root.

Options:
  --runs N        runs per workload and side (default 5, --quick 1); the median is reported
  --quick         1,000 map operations, 1,024 records, one run, no npm run build (a smoke test)
  --no-build      do not run npm run build when dist/ is stale (start-up then measures tsx)
  --only LIST     comma-separated groups to run (${GROUPS.join(', ')})
  --records N     ring and perf records per run (default 1,000,000; a multiple of ${RECORDS_PER_TRIGGER})
  --out FILE      where to write the JSON (default bench/results/latest.json)
  --chart FILE    where to write the SVG chart (default docs/bench-chart.svg for a full run of
                  every group, else beside the JSON)
  -h, --help      show this help
`;

type Sides = { native: Sample[]; wasmbpf: Sample[] };

interface Workload {
  name: string;
  /** The --only group it belongs to (default: its name). */
  group?: string;
  /** Flags for `wasmbpf run` on the wasmbpf side. */
  runFlags?: string[];
  /**
   * Both sides are `wasmbpf run`, with these flags each: the figure is the cost of the flags
   * (issue 16's stats on against off), not wasmbpf against native.
   */
  wasmbpfBothSides?: { native: string[]; wasmbpf: string[] };
  run(side: Program, p: BenchPrograms, which: 'native' | 'wasmbpf'): Promise<Sample>;
  /** One line of progress for a run. */
  progress(native: Sample, wasmbpf: Sample): string;
  figures(s: Sides): Figure[];
}

/** The median ms of each start-up phase over the runs (`wasmbpf run --debug`). */
function medianPhases(samples: Sample[]): Record<string, number> {
  const names = [...new Set(samples.flatMap((x) => Object.keys(x.phases ?? {})))];
  return Object.fromEntries(names.map((n) => [n, round(median(samples.map((x) => x.phases?.[n]).filter((v): v is number => v !== undefined)))]));
}

/** A figure from each side's per-run values: medians, ratio, every run's value. */
function figure(name: string, unit: string, target: number | null, what: string, s: Sides, value: (x: Sample) => number): Figure {
  const native = s.native.map(value).map(round), wasmbpf = s.wasmbpf.map(value).map(round);
  const n = round(median(native)), w = round(median(wasmbpf));
  return { name, unit, native: n, wasmbpf: w, ratio: ratioOf(w, n), target, what, samples: { wasmbpf, native } };
}

const perOp = (x: Sample) => x.ns / x.ops;
const cpuPerRecord = (x: Sample) => (x.cpuNs ?? 0) / x.ops;
const recordsPerSecond = (x: Sample) => (x.ops / x.ns) * 1e9;

function eventFigures(kind: 'ring' | 'perf', records: number, s: Sides): Figure[] {
  const source = `${records} records of 16 bytes, ${RECORDS_PER_TRIGGER} per getpgid tracepoint hit of the trigger`;
  const through = kind === 'ring' ? 'a BPF ring buffer (ring_buffer__poll)' : 'a perf event array, 64 pages per CPU (perf_buffer__poll)';
  const lost = (side: Sample[]) => side.reduce((sum, x) => sum + (x.lost ?? 0), 0);
  return [
    figure(`${kind}-cpu-per-record`, 'ns/record', 1.3, `${source}, through ${through}: consumer process CPU time (all threads) from the first record delivered to the last, per record`, s, cpuPerRecord),
    figure(`${kind}-records-per-second`, 'records/s', null, `the same runs: records delivered per second of wall time, first to last (bounded by the producer when the consumer keeps up)`, s, recordsPerSecond),
    { name: `${kind}-lost`, unit: 'records', native: lost(s.native), wasmbpf: lost(s.wasmbpf), ratio: 0, target: null, mustBeZero: true,
      what: `records emitted but not delivered, summed over all runs (${kind === 'ring' ? 'ring buffer reserve failures' : 'perf output failures and samples reported lost'})` },
  ];
}

function workloads(mapOps: number, records: number): Workload[] {
  const timePerOp = (n: Sample, w: Sample) => `native ${formatTime(perOp(n))}/op, wasmbpf ${formatTime(perOp(w))}/op`;
  const events = (n: Sample, w: Sample) => `CPU native ${formatTime(cpuPerRecord(n))}/record, wasmbpf ${formatTime(cpuPerRecord(w))}/record; ` +
    `${Math.round(recordsPerSecond(n))} vs ${Math.round(recordsPerSecond(w))} records/s; lost ${n.lost ?? 0} vs ${w.lost ?? 0}`;
  return [
    { name: 'lookup', run: (side) => runMapOps(side, 'lookup', mapOps), progress: timePerOp,
      figures: (s) => [figure('map-lookup', 'ns/op', 1.2, `${mapOps} bpf_map_lookup_elem from user space on a 1024-key hash map`, s, perOp)] },
    { name: 'update', run: (side) => runMapOps(side, 'update', mapOps), progress: timePerOp,
      figures: (s) => [figure('map-update', 'ns/op', 1.2, `${mapOps} bpf_map_update_elem (BPF_ANY) from user space on a 1024-key hash map`, s, perOp)] },
    { name: 'ring', run: (side, p) => runEvents(side, 'ring', p.trigger, records, RECORDS_PER_TRIGGER), progress: events,
      figures: (s) => eventFigures('ring', records, s) },
    { name: 'perf', run: (side, p) => runEvents(side, 'perf', p.trigger, records, RECORDS_PER_TRIGGER), progress: events,
      figures: (s) => eventFigures('perf', records, s) },
    { name: 'startup', runFlags: ['--debug'], run: (side) => runStartup(side),
      progress: (n, w) => `native ${formatTime(n.ns)}, wasmbpf ${formatTime(w.ns)}; peak RSS native ${n.peakRssKiB ?? '?'} KiB, wasmbpf ${w.peakRssKiB ?? '?'} KiB`,
      figures: (s) => [
        { ...figure('start-to-attached', 'ms', 4, 'process start to the eBPF object loaded, its tracepoint attached and "ready" printed: the native binary vs wasmbpf run', s, (x) => x.ns / 1e6), phases: medianPhases(s.wasmbpf) },
        figure('start-peak-rss', 'MiB', null, 'peak resident memory (VmHWM) of the process when it printed "ready": the native binary vs wasmbpf run', s, (x) => (x.peakRssKiB ?? 0) / 1024),
      ] },
    // The module started in a running server, against the whole native process start: the
    // reference C++ wasm-bpf runtime starts a process in 25-30 ms here, about 1.5x the native
    // tool, which is the target (it cannot be built here to run beside them).
    { name: 'warm-start', run: (side, p, which) => (which === 'native' ? runStartup(side) : moduleStartInServer(p.wasm)),
      progress: (n, w) => `native process ${formatTime(n.ns)}, module in a warm server ${formatTime(w.ns)}`,
      figures: (s) => [figure('module-start-in-server', 'ms', 1.5, 'a module started inside a running server (warm worker, module compiled before), startModule() to its tracepoint attached, vs the native binary\'s whole process start to "ready"', s, (x) => x.ns / 1e6)] },
    // What collecting the stats costs (issue 16): `wasmbpf run --stats` (the report; the host's
    // counters are always on) and `--kernel-stats` (the kernel's BPF run-time stats, which slow
    // every bpf() call on the machine) against a plain `wasmbpf run` of the same guest.
    { name: 'stats-lookup', group: 'stats', wasmbpfBothSides: { native: [], wasmbpf: ['--stats'] }, run: (side) => runMapOps(side, 'lookup', mapOps), progress: timePerOp,
      figures: (s) => [figure('map-lookup-stats-on', 'ns/op', 1.03, `the map-lookup workload under wasmbpf run --stats against plain wasmbpf run`, s, perOp)] },
    { name: 'stats-ring', group: 'stats', wasmbpfBothSides: { native: [], wasmbpf: ['--stats'] }, run: (side, p) => runEvents(side, 'ring', p.trigger, records, RECORDS_PER_TRIGGER), progress: events,
      figures: (s) => [figure('ring-cpu-stats-on', 'ns/record', 1.03, `the ring-cpu-per-record workload under wasmbpf run --stats against plain wasmbpf run`, s, cpuPerRecord)] },
    { name: 'stats-kernel-lookup', group: 'stats', wasmbpfBothSides: { native: [], wasmbpf: ['--kernel-stats'] }, run: (side) => runMapOps(side, 'lookup', mapOps), progress: timePerOp,
      figures: (s) => [figure('map-lookup-kernel-stats-on', 'ns/op', null, `the map-lookup workload under wasmbpf run --kernel-stats (the kernel counts every program run: BPF_ENABLE_STATS) against plain wasmbpf run`, s, perOp)] },
  ];
}

interface ContainersModule {
  containerFigures(opts: { quick: boolean; runs: number; log: (line: string) => void }): Promise<Figure[]>;
}

/** The container figures (bench/containers.ts, issue 7 items 5 to 7), when that part is there. */
async function containerFigures(quick: boolean, runs: number): Promise<Figure[]> {
  const file = path.join(import.meta.dirname, 'containers.ts');
  if (!fs.existsSync(file)) {
    process.stderr.write('bench: containers: bench/containers.ts is missing, no container figures\n');
    return [];
  }
  const mod = (await import(pathToFileURL(file).href)) as ContainersModule;
  return mod.containerFigures({ quick, runs, log: (line) => process.stderr.write(`bench: ${line}\n`) });
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BenchError('WASMBPF_BENCH_USAGE', `${flag} takes a positive integer, got '${value}'`);
  return n;
}

let retries = 0;

/**
 * One retry for a run that failed (a program's error, e.g. records missing): on a shared machine
 * another user of the kernel can disturb one run. The failure is printed and counted in the
 * report; a second failure ends the benchmark.
 */
async function withRetry(what: string, fn: () => Promise<Sample>): Promise<Sample> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof BenchError) || err.code !== 'WASMBPF_BENCH_RUN') throw err;
    retries++;
    process.stderr.write(`bench: ${what} failed, retrying once: ${err.message}\n`);
    return fn();
  }
}

async function leftovers(): Promise<string[]> {
  // The kernel frees a map after an RCU grace period once its last fd closes: allow it a moment.
  const deadline = Date.now() + 3000;
  for (;;) {
    const left = (['prog', 'map'] as const).flatMap((kind) => {
      const out = execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8' }).trim();
      const items = out ? (JSON.parse(out) as { id: number; name?: string }[]) : [];
      return items.filter((i) => i.name?.startsWith('wbb_')).map((i) => `${kind} ${i.id} ${i.name}`);
    });
    if (!left.length || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        runs: { type: 'string' },
        quick: { type: 'boolean' },
        'no-build': { type: 'boolean' },
        only: { type: 'string' },
        records: { type: 'string' },
        out: { type: 'string' },
        chart: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new BenchError('WASMBPF_BENCH_USAGE', `${(err as Error).message} (see --help)`, { cause: err });
  }
}

async function main(argv: string[]): Promise<number> {
  const values = parseOptions(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = values.quick ?? false;
  const runs = positiveInt(values.runs, '--runs', quick ? 1 : 5);
  const mapOps = quick ? 1000 : 1_000_000;
  const records = positiveInt(values.records, '--records', quick ? 1024 : 1_000_000);
  if (records % RECORDS_PER_TRIGGER || records < 2 * RECORDS_PER_TRIGGER) {
    throw new BenchError('WASMBPF_BENCH_USAGE', `--records takes a multiple of ${RECORDS_PER_TRIGGER} of at least ${2 * RECORDS_PER_TRIGGER}, got ${records}`);
  }
  let groups = GROUPS;
  if (values.only !== undefined) {
    const names = values.only.split(',');
    const unknown = names.filter((n) => !GROUPS.includes(n));
    if (unknown.length) throw new BenchError('WASMBPF_BENCH_USAGE', `unknown workload '${unknown.join(', ')}'`);
    groups = GROUPS.filter((g) => names.includes(g));
  }
  const selected = workloads(mapOps, records).filter((w) => groups.includes(w.group ?? w.name));
  const out = path.resolve(values.out ?? path.join(import.meta.dirname, 'results', 'latest.json'));
  // The committed chart shows a full run only; a quick or partial one goes beside its JSON.
  const full = !quick && groups.length === GROUPS.length;
  const chart = path.resolve(values.chart ?? (full ? DOCS_CHART : out.replace(/\.json$/, '') + '.svg'));
  if (process.getuid?.() !== 0) throw new BenchError('WASMBPF_BENCH_ROOT', 'the benchmark loads eBPF programs: run it as root');

  const cli = prepareWasmbpfCli(!quick && !values['no-build']);
  process.stderr.write(`bench: wasmbpf runs from ${cli.path}${cli.note ? ` (${cli.note})` : ''}\n`);
  const programs = selected.length ? buildPrograms() : undefined;
  const cleanup = () => {
    killChildren();
    if (programs) fs.rmSync(programs.dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const figures: Figure[] = [];
  try {
    if (programs) {
      const native: Program = { command: programs.native, args: [] };
      for (const w of selected) {
        const wasm = cli.program(programs.wasm, w.wasmbpfBothSides?.wasmbpf ?? w.runFlags);
        const baseline = w.wasmbpfBothSides ? cli.program(programs.wasm, w.wasmbpfBothSides.native) : native;
        const samples: Sides = { native: [], wasmbpf: [] };
        for (let i = 0; i < runs; i++) {
          // Alternate which side goes first so a drift in machine load does not favour one.
          const order = i % 2 === 0 ? (['native', 'wasmbpf'] as const) : (['wasmbpf', 'native'] as const);
          for (const side of order) samples[side].push(await withRetry(`${w.name} ${side}`, () => w.run(side === 'native' ? baseline : wasm, programs, side)));
          const [a, b] = [samples.native.at(-1)!, samples.wasmbpf.at(-1)!];
          if (a.check !== undefined && b.check !== undefined && a.check !== b.check) {
            throw new BenchError('WASMBPF_BENCH_MISMATCH', `${w.name}: native and wasmbpf did different work (check ${a.check} vs ${b.check})`);
          }
          process.stderr.write(`bench: ${w.name} run ${i + 1}/${runs}: ${w.progress(a, b)}\n`);
        }
        figures.push(...w.figures(samples));
      }
    }
  } finally {
    await closeModuleStart();
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (groups.includes('containers')) figures.push(...(await containerFigures(quick, runs)));
  const report: BenchReport = {
    schema: 2,
    date: new Date().toISOString(),
    machine: machineFacts(),
    settings: { runs, quick, mapOps, records, recordsPerTrigger: RECORDS_PER_TRIGGER, retries, wasmbpfPath: cli.path,
      ...(cli.note ? { wasmbpfPathNote: cli.note } : {}), groups },
    figures,
  };
  process.stdout.write(`${formatTable(figures)}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`bench: wrote ${out}\n`);
  writeChart(chart, report);
  process.stderr.write(`bench: wrote ${chart}\n`);
  const left = await leftovers();
  if (left.length) throw new BenchError('WASMBPF_BENCH_LEAK', `eBPF objects of the benchmark are still loaded: ${left.join(', ')}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = err instanceof BenchError ? err.code : (err as { code?: string }).code;
    process.stderr.write(`bench: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof BenchError && err.code === 'WASMBPF_BENCH_USAGE' ? 2 : 1);
  },
);
