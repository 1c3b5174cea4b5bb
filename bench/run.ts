// `npm run bench`: wasmbpf against native libbpf on the same work. Builds the programs
// (build.ts), runs every workload `runs` times on each side, alternating which side goes first,
// and reports the median time per operation and the ratio wasmbpf / native (report.ts). Times
// are taken inside the programs (measure.ts), so process start-up and the runner's own overhead
// are not in them, except in the start-up workload, which is exactly that.
//
// Needs root (it loads eBPF). Everything it loads belongs to the programs it starts, which
// unload it when they exit; at the end it checks that no wbb_ program or map is left.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildPrograms, type BenchPrograms } from './build.ts';
import { BenchError } from './errors.ts';
import { machineFacts } from './machine.ts';
import { killChildren, runMapOps, runRing, runStartup, type Program, type Sample } from './measure.ts';
import { formatTable, formatTime, sideResult, type BenchReport, type WorkloadResult } from './report.ts';
import { prepareWasmbpfCli } from './wasmbpf-cli.ts';

const HELP = `Usage: npm run bench -- [OPTIONS]

Runs each workload as a native libbpf program and as a Wasm guest under wasmbpf, and prints the
median time per operation and the ratio wasmbpf / native. Needs root.

Options:
  --runs N        runs per workload and side (default 5, --quick 1); the median is reported
  --quick         1,000 map operations and ring records, one run, no npm run build (a smoke test)
  --no-build      do not run npm run build when dist/ is stale (start-up then measures tsx)
  --only LIST     comma-separated workloads to run (${['lookup', 'update', 'ring', 'drain', 'startup'].join(', ')})
  --out FILE      where to write the JSON (default bench/results/latest.json)
  -h, --help      show this help
`;

interface Workload {
  name: string;
  what: string;
  run(side: Program, p: BenchPrograms): Promise<Sample>;
}

function workloads(mapOps: number, records: number): Workload[] {
  return [
    { name: 'lookup', what: `${mapOps} bpf_map_lookup_elem on a 1024-key hash map`, run: (s) => runMapOps(s, 'lookup', mapOps) },
    { name: 'update', what: `${mapOps} bpf_map_update_elem (BPF_ANY) on a 1024-key hash map`, run: (s) => runMapOps(s, 'update', mapOps) },
    { name: 'ring', what: `${records} ring buffer records from a uprobe, consumed while produced: first to last record`, run: (s, p) => runRing(s, 'ring', p.trigger, records) },
    { name: 'drain', what: `${records} ring buffer records already produced, consumed: the consumer's cost alone`, run: (s, p) => runRing(s, 'drain', p.trigger, records) },
    { name: 'startup', what: 'process start to the eBPF object loaded, its uprobe attached and "ready" printed', run: (s) => runStartup(s) },
  ];
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
        out: { type: 'string' },
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
  const records = quick ? 1000 : 200_000;
  let selected = workloads(mapOps, records);
  if (values.only !== undefined) {
    const names = values.only.split(',');
    const unknown = names.filter((n) => !selected.some((w) => w.name === n));
    if (unknown.length) throw new BenchError('WASMBPF_BENCH_USAGE', `unknown workload '${unknown.join(', ')}'`);
    selected = selected.filter((w) => names.includes(w.name));
  }
  const out = path.resolve(values.out ?? path.join(import.meta.dirname, 'results', 'latest.json'));
  if (process.getuid?.() !== 0) throw new BenchError('WASMBPF_BENCH_ROOT', 'the benchmark loads eBPF programs: run it as root');

  const cli = prepareWasmbpfCli(!quick && !values['no-build']);
  process.stderr.write(`bench: wasmbpf runs from ${cli.path}${cli.note ? ` (${cli.note})` : ''}\n`);
  const programs = buildPrograms();
  const cleanup = () => {
    killChildren();
    fs.rmSync(programs.dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const native: Program = { command: programs.native, args: [] };
    const wasm = cli.program(programs.wasm);
    const results: WorkloadResult[] = [];
    for (const w of selected) {
      const samples = { native: [] as Sample[], wasmbpf: [] as Sample[] };
      for (let i = 0; i < runs; i++) {
        // Alternate which side goes first so a drift in machine load does not favour one.
        const order = i % 2 === 0 ? (['native', 'wasmbpf'] as const) : (['wasmbpf', 'native'] as const);
        for (const side of order) samples[side].push(await withRetry(`${w.name} ${side}`, () => w.run(side === 'native' ? native : wasm, programs)));
        const [a, b] = [samples.native.at(-1)!, samples.wasmbpf.at(-1)!];
        if (a.check !== b.check) throw new BenchError('WASMBPF_BENCH_MISMATCH', `${w.name}: native and wasmbpf did different work (check ${a.check} vs ${b.check})`);
        const last = (s: Sample[]) => formatTime(s.at(-1)!.ns / s.at(-1)!.ops);
        process.stderr.write(`bench: ${w.name} run ${i + 1}/${runs}: native ${last(samples.native)}/op, wasmbpf ${last(samples.wasmbpf)}/op\n`);
      }
      const n = sideResult(samples.native), m = sideResult(samples.wasmbpf);
      results.push({ name: w.name, what: w.what, opsPerRun: samples.native[0]!.ops, native: n, wasmbpf: m, ratio: Math.round((m.nsPerOp / n.nsPerOp) * 100) / 100 });
    }
    const report: BenchReport = {
      schema: 1,
      date: new Date().toISOString(),
      machine: machineFacts(),
      settings: { runs, quick, mapOps, ringRecords: records, retries, wasmbpfPath: cli.path, ...(cli.note ? { wasmbpfPathNote: cli.note } : {}) },
      workloads: results,
    };
    process.stdout.write(`${formatTable(results)}\n`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`bench: wrote ${out}\n`);
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
