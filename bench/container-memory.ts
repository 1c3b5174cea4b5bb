// Resident memory: of the one wasmbpf shim server holding N plain firstevent containers of the
// namespace (each module loaded, attached and polling; the default grouping puts them all in
// one server), and of one native firstevent process doing the same.
// VmRSS is what the issue asks for; PSS (smaps_rollup) is recorded beside it, since the shim
// shares the Node binary's pages with any other Node process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { WASM_IMAGE } from './container-images.ts';
import { shimProcesses, type ContainerSession } from './container-session.ts';
import { BenchError } from './errors.ts';

export interface Memory {
  rssMiB: number;
  pssMiB: number;
}

const MiB = (kib: number) => Math.round((kib / 1024) * 100) / 100;

function field(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'));
  if (!m) throw new BenchError('WASMBPF_BENCH_MEMORY', `no ${name} in /proc memory file`);
  return Number(m[1]);
}

export function memoryOf(pid: number): Memory {
  return {
    rssMiB: MiB(field(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS')),
    pssMiB: MiB(field(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss')),
  };
}

/** The median of three readings 300 ms apart, after a second to settle. */
async function settledMemory(pid: number): Promise<Memory> {
  await sleep(1000);
  const reads: Memory[] = [];
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(300);
    reads.push(memoryOf(pid));
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  return { rssMiB: mid(reads.map((r) => r.rssMiB)), pssMiB: mid(reads.map((r) => r.pssMiB)) };
}

/** Attached tracepoints held by the process: its perf_event fds (one per firstevent module). */
function attachedCount(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[perf_event]') n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

async function waitUntil(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new BenchError('WASMBPF_BENCH_RUN', `timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One native firstevent, attached and polling: its memory. */
export async function nativeMemory(native: string): Promise<Memory> {
  const child = spawn(native, ['hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  try {
    await waitUntil('the native firstevent to attach', () => {
      if (child.exitCode !== null) throw new BenchError('WASMBPF_BENCH_RUN', `native firstevent hold exited ${child.exitCode}: ${err}`);
      return out.includes('attached\n');
    }, 20_000);
    return await settledMemory(child.pid!);
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
  }
}

/**
 * Starts plain containers of the tool and reads the namespace's shim server's memory at each
 * container count in `levels` (ascending); the containers stay until the session stops.
 */
export async function shimMemory(session: ContainerSession, levels: number[], log: (line: string) => void): Promise<Map<number, Memory>> {
  const run = (...args: string[]) => session.ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', session.ctd.fifoDir, ...args]);
  const servers = () => shimProcesses(session.ctd.socket).filter((s) => s.kind === 'wasmbpf');
  const result = new Map<number, Memory>();
  let loaded = 0;
  let server: number | undefined;
  for (const level of levels) {
    for (; loaded < level; loaded++) await run(WASM_IMAGE, `wbb-mem-${process.pid}-${loaded + 1}`, 'firstevent', 'hold');
    const found = servers();
    if (found.length !== 1) throw new BenchError('WASMBPF_BENCH_RUN', `expected one wasmbpf shim server for the namespace, found ${found.length}`);
    server ??= found[0]!.pid;
    if (found[0]!.pid !== server) throw new BenchError('WASMBPF_BENCH_RUN', 'the namespace\'s wasmbpf shim server changed');
    const pid = server;
    await waitUntil(`${level} modules attached in the shim`, () => attachedCount(pid) >= level);
    const m = await settledMemory(pid);
    log(`containers: shim with ${level} module${level > 1 ? 's' : ''}: VmRSS ${m.rssMiB} MiB, PSS ${m.pssMiB} MiB`);
    result.set(level, m);
  }
  return result;
}
