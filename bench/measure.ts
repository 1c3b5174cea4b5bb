// Runs one program once and returns what it measured. A program prints
// `result workload=NAME ops=N ns=T` (its own clock_gettime around the loop); start-up is the one
// measurement taken from outside, from just before spawn to the "ready" line on stdout.
// Every child is tracked so an interrupted benchmark can end them (killChildren).
import { spawn, type ChildProcess } from 'node:child_process';
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
  /** lookup/update: a sum over the values seen, equal on both sides when both did the same work. */
  check?: string;
}

interface Started {
  child: ChildProcess;
  /** Resolves when `text` appears on stdout; rejects if the program ends first. */
  waitFor(text: string): Promise<number>;
  /** Resolves with stdout once the program exits 0; rejects with its stderr otherwise. */
  done: Promise<string>;
}

function start(program: Program, args: string[]): Started {
  const what = `${program.command} ${[...program.args, ...args].join(' ')}`;
  const child = spawn(program.command, [...program.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: program.env ?? process.env });
  children.add(child);
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: (t: number) => void; reject: (e: Error) => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const at = performance.now();
    out += d;
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
  };
}

function parseResult(stdout: string, workload: string, what: string): Sample {
  const m = stdout.match(new RegExp(`^result workload=${workload} ops=(\\d+) ns=(\\d+)`, 'm'));
  if (!m) throw new BenchError('WASMBPF_BENCH_OUTPUT', `${what} printed no 'result workload=${workload}' line:\n${stdout}`);
  const sample: Sample = { ops: Number(m[1]), ns: Number(m[2]) };
  if (!(sample.ops > 0 && sample.ns > 0)) throw new BenchError('WASMBPF_BENCH_OUTPUT', `${what} reported ${m[0]}`);
  const check = stdout.match(new RegExp(`^result workload=${workload} .* check=(\\d+)`, 'm'))?.[1];
  if (check !== undefined) sample.check = check;
  return sample;
}

/** lookup or update: N map operations timed inside the program. */
export async function runMapOps(program: Program, workload: 'lookup' | 'update', n: number): Promise<Sample> {
  const p = start(program, [workload, String(n)]);
  return parseResult(await p.done, workload, program.command);
}

/**
 * ring or drain: the consumer attaches and prints "ready", then the trigger produces n records.
 * In ring mode they run concurrently; in drain mode the consumer waits for all n before consuming.
 */
export async function runRing(program: Program, workload: 'ring' | 'drain', trigger: string, n: number): Promise<Sample> {
  const consumer = start(program, [workload, String(n)]);
  try {
    await consumer.waitFor('ready\n');
    await start({ command: trigger, args: [] }, [String(n)]).done;
  } catch (err) {
    consumer.child.kill('SIGKILL');
    throw err;
  }
  return parseResult(await consumer.done, workload, program.command);
}

/** startup: from just before spawn to "ready" on stdout (object loaded, program attached). */
export async function runStartup(program: Program): Promise<Sample> {
  const t0 = performance.now();
  const p = start(program, ['startup']);
  const ready = await p.waitFor('ready\n');
  await p.done;
  return { ops: 1, ns: Math.round((ready - t0) * 1e6) };
}

/** Ends every program still running (an interrupted or failed benchmark). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}
