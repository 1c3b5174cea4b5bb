// Runs one program once and returns what it measured. A program prints
// `result workload=NAME ops=N ns=T [cpu_ns=C] [check=X] [key=value...]` (its own clock_gettime
// around the loop); start-up is the one measurement taken from outside, from just before spawn
// to the "ready" line on stdout.
// Every child is tracked so an interrupted benchmark can end them (killChildren).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchError } from './errors.ts';

const TIMEOUT_MS = 180_000;
const children = new Set<ChildProcess>();

/** What to run: the native binary, or bin/wasmbpf with the guest. */
export interface Program {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Sample {
  ops: number;
  ns: number;
  /** ring/perf: the consumer process's CPU time over the same span as ns. */
  cpuNs?: number;
  /** ring/perf: records the eBPF side emitted that the consumer did not get (reserve or output failures, perf samples lost). */
  lost?: number;
  /** A sum over the values or records seen, equal on both sides when both did the same work. */
  check?: string;
  /** startup: the process's peak resident memory (VmHWM) when it printed "ready". */
  peakRssKiB?: number;
  /** startup under `wasmbpf run --debug`: ms since the process started at each phase it printed. */
  phases?: Record<string, number>;
}

interface Started {
  child: ChildProcess;
  /** Resolves when `text` appears on stdout; rejects if the program ends first. */
  waitFor(text: string): Promise<number>;
  /** Resolves with stdout once the program exits 0; rejects with its stderr otherwise. */
  done: Promise<string>;
  /** What it wrote on stderr so far. */
  stderr(): string;
}

function start(program: Program, args: string[], opts: { stdin?: boolean; onStdout?: (chunk: string) => void } = {}): Started {
  const what = `${program.command} ${[...program.args, ...args].join(' ')}`;
  const child = spawn(program.command, [...program.args, ...args], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: program.env ?? process.env });
  children.add(child);
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: (t: number) => void; reject: (e: Error) => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const at = performance.now();
    out += d;
    opts.onStdout?.(d);
    for (const w of waiters.splice(0)) {
      if (out.includes(w.text)) w.resolve(at);
      else waiters.push(w);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, TIMEOUT_MS);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const done = new Promise<string>((resolve, reject) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (spawnError) {
        const e = new BenchError('WASMBPF_BENCH_SPAWN', `cannot start ${what}: ${spawnError.message}`, { cause: spawnError });
        for (const w of waiters.splice(0)) w.reject(e);
        reject(e);
        return;
      }
      const ending = timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : code === 0 ? 'exited 0' : `failed (${signal ?? `exit ${code}`})`;
      const detail = err.trim() || out.trim();
      for (const w of waiters.splice(0)) w.reject(new BenchError('WASMBPF_BENCH_RUN', `${what} ${ending} before printing '${w.text.trim()}':\n${detail}`));
      if (code === 0) resolve(out);
      else reject(new BenchError('WASMBPF_BENCH_RUN', `${what} ${ending}:\n${detail}`));
    });
  });
  done.catch(() => {}); // observed through waitFor/await by the caller; never an unhandled rejection
  return {
    child,
    waitFor: (text) => new Promise<number>((resolve, reject) => {
      if (out.includes(text)) resolve(performance.now());
      else if (!children.has(child)) done.then(() => reject(new BenchError('WASMBPF_BENCH_RUN', `${what} exited 0 before printing '${text.trim()}'`)), reject);
      else waiters.push({ text, resolve, reject });
    }),
    done,
    stderr: () => err,
  };
}

function parseResult(stdout: string, workload: string, what: string): Sample {
  const m = stdout.match(new RegExp(`^result workload=${workload} ops=(\\d+) ns=(\\d+).*$`, 'm'));
  if (!m) throw new BenchError('WASMBPF_BENCH_OUTPUT', `${what} printed no 'result workload=${workload}' line:\n${stdout}`);
  const sample: Sample = { ops: Number(m[1]), ns: Number(m[2]) };
  if (!(sample.ops > 0 && sample.ns > 0)) throw new BenchError('WASMBPF_BENCH_OUTPUT', `${what} reported ${m[0]}`);
  const field = (key: string) => m[0].match(new RegExp(` ${key}=(\\d+)`))?.[1];
  const check = field('check');
  if (check !== undefined) sample.check = check;
  const cpu = field('cpu_ns');
  if (cpu !== undefined) sample.cpuNs = Number(cpu);
  const lost = field('lost');
  if (lost !== undefined) sample.lost = Number(lost);
  return sample;
}

/** lookup or update: N map operations timed inside the program. */
export async function runMapOps(program: Program, workload: 'lookup' | 'update', n: number): Promise<Sample> {
  const p = start(program, [workload, String(n)]);
  return parseResult(await p.done, workload, program.command);
}

/** How the perf workload keeps its producer within reach of the consumer (see runEvents). */
export const PERF_PACING = { reportEvery: 1024, maxLag: 4096 };

/**
 * ring or perf: the consumer attaches and prints "ready", then the trigger calls getpgid(token)
 * n / batch times, each call emitting `batch` records (bench/src/events.bpf.h), while the
 * consumer consumes them. The token is fresh per run, so concurrent runs never see each other's
 * records. Lost records: what the program counted (emitted - delivered), and for wasmbpf, which
 * reports perf samples the kernel dropped on stderr instead of to the guest, those too.
 *
 * The ring buffer holds every record of a run, so its producer runs free. A perf buffer holds
 * 8,192 of these records per CPU (64 pages, what wasmbpf opens), and a consumer descheduled for
 * a moment on a busy machine would lose records that its speed has nothing to do with. So in the
 * perf workload the consumer prints "at N" every reportEvery records, this runner passes those
 * lines to the trigger's stdin, and the trigger waits before each syscall until it is at most
 * maxLag records ahead of the last report (bench/src/trigger.c).
 */
export async function runEvents(program: Program, workload: 'ring' | 'perf', trigger: string, n: number, batch: number): Promise<Sample> {
  const token = 0x4000_0000 + Math.floor(Math.random() * 0x3fff_ffff); // above any pid: getpgid fails with ESRCH
  const paced = workload === 'perf';
  let producer: Started | undefined;
  let progress = '';
  const forward = (chunk: string) => {
    if (!producer) return;
    progress += chunk;
    const end = progress.lastIndexOf('\n');
    if (end < 0) return;
    const lines = progress.slice(0, end + 1).split('\n').filter((l) => l.startsWith('at '));
    progress = progress.slice(end + 1);
    if (lines.length && producer.child.stdin?.writable) producer.child.stdin.write(`${lines.at(-1)}\n`);
  };
  const consumer = start(program, [workload, String(n), String(token), String(batch), String(paced ? PERF_PACING.reportEvery : 0)],
    paced ? { onStdout: forward } : {});
  try {
    await consumer.waitFor('ready\n');
    const pacing = paced ? [String(batch), String(PERF_PACING.maxLag)] : [];
    producer = start({ command: trigger, args: [] }, [String(token), String(n / batch), ...pacing], { stdin: paced });
    producer.child.stdin?.on('error', () => {}); // the trigger exits when done; a late progress line has nowhere to go
    await producer.done;
    producer.child.stdin?.end();
  } catch (err) {
    consumer.child.kill('SIGKILL');
    throw err;
  }
  const sample = parseResult(await consumer.done, workload, program.command);
  const hostLost = [...consumer.stderr().matchAll(/^wasmbpf: lost (\d+) perf buffer samples/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  sample.lost = Math.max(sample.lost ?? 0, hostLost);
  return sample;
}

/** VmHWM of a running process, or undefined once it is gone. */
function peakRss(pid: number | undefined): number | undefined {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * startup: from just before spawn to "ready" on stdout (object loaded, program attached); the
 * peak RSS read at that moment (the program exits right after); and the phases `wasmbpf run
 * --debug` prints on stderr, when the program is run with it.
 */
export async function runStartup(program: Program): Promise<Sample> {
  const t0 = performance.now();
  const p = start(program, ['startup']);
  const ready = await p.waitFor('ready\n');
  const peakRssKiB = peakRss(p.child.pid);
  await p.done;
  const sample: Sample = { ops: 1, ns: Math.round((ready - t0) * 1e6) };
  if (peakRssKiB !== undefined) sample.peakRssKiB = peakRssKiB;
  const phases = [...p.stderr().matchAll(/^wasmbpf: start-up: (.+?) at ([\d.]+) ms$/gm)];
  if (phases.length) sample.phases = Object.fromEntries(phases.map((m) => [m[1]!.replace(/ \(.*\)$/, ''), Number(m[2])]));
  return sample;
}

/** Ends every program still running (an interrupted or failed benchmark). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}
