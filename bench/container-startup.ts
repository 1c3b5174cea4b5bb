// One `ctr run --rm` of the firstevent tool, timed from outside: from just before ctr is spawned
// to "attached" and to the first "event" line on ctr's stdout (the tool's stdout, relayed by
// the shim and containerd's FIFOs). The ticker makes an event every millisecond, so the event
// follows the attach by at most about that.
import { spawn } from 'node:child_process';
import { BenchError } from './errors.ts';

const TIMEOUT_MS = 60_000;

export interface StartupSample {
  attachedMs: number;
  eventMs: number;
}

export function timedCtrRun(ctrArgs: string[], what: string): Promise<StartupSample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ctr', ctrArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let attachedAt: number | undefined;
    let eventAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const at = performance.now();
      out += d;
      if (attachedAt === undefined && out.includes('attached\n')) attachedAt = at;
      if (eventAt === undefined && /^event \d+$/m.test(out)) eventAt = at;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new BenchError('WASMBPF_BENCH_SPAWN', `cannot start ctr for ${what}: ${e.message}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && attachedAt !== undefined && eventAt !== undefined) {
        resolve({ attachedMs: attachedAt - t0, eventMs: eventAt - t0 });
        return;
      }
      const how = signal === 'SIGKILL' ? `timed out after ${TIMEOUT_MS / 1000} s` : code === 0 ? 'exited 0 without its first event' : `failed (${signal ?? `exit ${code}`})`;
      reject(new BenchError('WASMBPF_BENCH_RUN', `ctr run of ${what} ${how}:\n${(err.trim() || out.trim()).slice(-2000)}`));
    });
  });
}
