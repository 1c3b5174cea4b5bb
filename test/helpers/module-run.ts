// Runs a module in-process through the runtime's contract with its stdout and stderr in one
// file, so tests can wait for a line ("ready") while it runs and read everything afterwards.
import fs from 'node:fs';
import path from 'node:path';
import { startModule } from '../../runtime/start-module.ts';
import type { ModuleSpec, RunningModule, WorkerPool } from '../../runtime/index.ts';

export interface ModuleRun {
  module: RunningModule;
  output(): string;
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  close(): void;
}

export function runModule(dir: string, spec: ModuleSpec, pool?: WorkerPool): ModuleRun {
  const file = path.join(dir, `out-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  const fd = fs.openSync(file, 'w+');
  const module = startModule({ stdout: fd, stderr: fd, ...spec }, pool);
  const output = () => fs.readFileSync(file, 'utf8');
  return {
    module,
    output,
    async waitFor(text, ms = 15000) {
      const seen = () => (typeof text === 'string' ? output().includes(text) : text.test(output()));
      const deadline = Date.now() + ms;
      while (!seen()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for '${text}'; output so far:\n${output()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => fs.closeSync(fd),
  };
}

/** Runs to the end; `during` runs once the module printed "ready". */
export async function runToEnd(dir: string, spec: ModuleSpec, during?: () => void | Promise<void>): Promise<{ code: number; out: string }> {
  const r = runModule(dir, spec);
  if (during) {
    await r.waitFor(/ready|failed/);
    await during();
  }
  const status = await r.module.exited;
  r.close();
  return { code: status.code, out: r.output() };
}
