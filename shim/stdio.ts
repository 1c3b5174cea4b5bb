// The task's stdio: the FIFOs containerd (ctr, the CRI plugin) created and passed in Create.
// They are opened O_RDWR, like containerd's runc shim does: opening a FIFO write-only blocks
// until a reader arrives, which would stall the ttrpc server, and O_RDWR keeps the pipe alive if
// the reader (e.g. `ctr run -d`'s) comes and goes. The module's worker writes to these fds
// synchronously; the fds are the shim's and are closed here when the task is deleted.
// Known limit: because the shim itself holds stdin's FIFO open for writing (O_RDWR), a module
// reading stdin never sees end-of-file; eBPF tools do not read stdin.
import fs from 'node:fs';
import { invalidArgument } from './errors.ts';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

export class TaskStdio {
  /** Guarded by the task's state: closed only on Delete (or CloseIO for stdin). */
  #fds: { stdin: number | undefined; stdout: number; stderr: number };

  private constructor(fds: { stdin: number | undefined; stdout: number; stderr: number }) {
    this.#fds = fds;
  }

  /** Opens all three or none (rolls back on failure). An empty path means /dev/null. */
  static open(paths: StdioPaths): TaskStdio {
    const opened: number[] = [];
    const open = (file: string, what: string, flags: number): number => {
      try {
        const fd = fs.openSync(file || '/dev/null', file ? fs.constants.O_RDWR : flags);
        opened.push(fd);
        return fd;
      } catch (error) {
        for (const fd of opened) fs.closeSync(fd);
        throw invalidArgument(`cannot open the task's ${what} ${file}: ${(error as Error).message}`, error);
      }
    };
    const stdin = paths.stdin ? open(paths.stdin, 'stdin', fs.constants.O_RDONLY) : undefined;
    const stdout = open(paths.stdout, 'stdout', fs.constants.O_WRONLY);
    const stderr = open(paths.stderr, 'stderr', fs.constants.O_WRONLY);
    return new TaskStdio({ stdin, stdout, stderr });
  }

  get stdin(): number | undefined {
    return this.#fds.stdin;
  }
  get stdout(): number {
    return this.#fds.stdout;
  }
  get stderr(): number {
    return this.#fds.stderr;
  }

  /** Writes a line to the task's stderr (shim-side failures the user should see in ctr's output). */
  writeStderr(text: string): void {
    try {
      fs.writeSync(this.#fds.stderr, text.endsWith('\n') ? text : `${text}\n`);
    } catch {
      // the reader is gone
    }
  }

  closeStdin(): void {
    if (this.#fds.stdin !== undefined) fs.closeSync(this.#fds.stdin);
    this.#fds.stdin = undefined;
  }

  /** Idempotent. */
  close(): void {
    this.closeStdin();
    for (const key of ['stdout', 'stderr'] as const) {
      if (this.#fds[key] >= 0) fs.closeSync(this.#fds[key]);
      this.#fds[key] = -1;
    }
  }
}
