// A server a test starts for itself (docker-registry, a containerd of a special config): its
// output to a log file the test can show on failure, and stopped with SIGTERM, awaited, when
// the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Cleanup } from './cleanup.ts';

export function spawnDaemon(t: Cleanup, command: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'w');
  const proc = spawn(command, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  });
  return proc;
}
