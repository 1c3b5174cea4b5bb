// `wasmbpf run --stats` / `--stats-interval`: what the module did and what its eBPF side cost,
// printed on stderr (stdout is the tool's own): a summary when it exits, and with an interval one
// every so often while it runs. The figures are the runtime's (RunningModule.stats()); CPU is
// the whole process's, which for `wasmbpf run` is the one module and its host.
import { mapTypeName, type ModuleStats, type RunningModule } from '../runtime/index.ts';
import { UsageError } from './command.ts';

function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** The report's lines (no trailing newline), for a module that has run `elapsedMs`. */
export function formatStats(stats: ModuleStats, elapsedMs: number, cpu: { userMs: number; systemMs: number }): string {
  const lines = [`wasmbpf: stats after ${(elapsedMs / 1000).toFixed(1)} s`];
  for (const b of stats.buffers) {
    lines.push(`  buffer ${b.map} (${b.kind}): ${b.delivered} delivered${b.lost === undefined ? '' : `, ${b.lost} lost`}`);
  }
  for (const p of stats.programs) {
    const per = p.runCount > 0 ? `, ${(p.runTimeNs / p.runCount).toFixed(0)} ns/run` : '';
    const runs = stats.kernelStats ? `${p.runCount} runs, ${ms(p.runTimeNs)}${per}` : 'runs not counted (--kernel-stats)';
    lines.push(`  program ${p.name} (id ${p.id}): ${runs}, ${p.verifiedInsns} instructions verified`);
  }
  for (const m of stats.maps) lines.push(`  map ${m.name} (id ${m.id}, ${mapTypeName(m.type) ?? `type ${m.type}`}): ${bytes(m.memoryBytes)}`);
  const calls = Object.entries(stats.hostCalls).map(([kind, n]) => `${kind} ${n}`);
  lines.push(`  host calls: ${calls.length ? calls.join(', ') : 'none'}`);
  lines.push(`  process cpu: user ${(cpu.userMs / 1000).toFixed(2)} s, system ${(cpu.systemMs / 1000).toFixed(2)} s`);
  return lines.join('\n');
}

export interface StatsReport {
  /** Stops the interval and prints the summary. Idempotent. */
  finish(): void;
}

/** Prints `running`'s stats every `intervalMs` (when given) and on finish(). */
export function startStatsReport(running: RunningModule, intervalMs: number | undefined, write = (text: string) => process.stderr.write(text)): StatsReport {
  const started = performance.now();
  const print = () => {
    const u = process.resourceUsage();
    write(`${formatStats(running.stats(), performance.now() - started, { userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 })}\n`);
  };
  const timer = intervalMs === undefined ? undefined : setInterval(print, intervalMs);
  // The interval must not keep the process up once the module has ended.
  timer?.unref();
  let done = false;
  return {
    finish() {
      if (done) return;
      done = true;
      if (timer) clearInterval(timer);
      print();
    },
  };
}

/** --stats-interval's value: "5s", "500ms" or a number of seconds; undefined when absent. */
export function parseStatsInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  const value = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) : NaN;
  if (!(value >= 100)) throw new UsageError(`--stats-interval takes a duration of at least 100ms (e.g. 5s, 500ms), not '${text}'`);
  return value;
}

