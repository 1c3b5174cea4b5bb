// The task's stdio: the FIFOs containerd (ctr, the CRI plugin) created and passed in Create.
// stdout and stderr go through an OutputRelay each (output-relay.ts: the module can never block
// on a FIFO nobody reads); stdin is opened O_RDWR, as containerd's runc shim does, since opening
// a FIFO read-only blocks until a writer arrives. An empty path means /dev/null.
// Known limit: because the shim itself holds stdin's FIFO open for writing (O_RDWR), a module
// reading stdin never sees end-of-file; eBPF tools do not read stdin.
import fs from 'node:fs';
import { invalidArgument } from './errors.ts';
import { OutputRelay } from './output-relay.ts';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

type Output = { relay: OutputRelay; fd: number } | { relay: undefined; fd: number };

export class TaskStdio {
  /** Event-loop only. stdin is closed on CloseIO (after the module ended) or Delete. */
  #stdin: number | undefined;
  readonly #stdout: Output;
  readonly #stderr: Output;
  #closed = false;

  private constructor(stdin: number | undefined, stdout: Output, stderr: Output) {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** Opens all three or none (rolls back on failure). */
  static open(paths: StdioPaths): TaskStdio {
    const undo: (() => void)[] = [];
    try {
      const output = (file: string, what: string): Output => {
        if (!file) {
          const fd = fs.openSync('/dev/null', fs.constants.O_WRONLY);
          undo.push(() => fs.closeSync(fd));
          return { relay: undefined, fd };
        }
        const relay = OutputRelay.open(file, what);
        undo.push(() => relay.destroy());
        return { relay, fd: relay.writeFd };
      };
      let stdin: number | undefined;
      if (paths.stdin) {
        try {
          stdin = fs.openSync(paths.stdin, fs.constants.O_RDWR);
        } catch (error) {
          throw invalidArgument(`cannot open the task's stdin ${paths.stdin}: ${(error as Error).message}`, error);
        }
        const fd = stdin;
        undo.push(() => fs.closeSync(fd));
      }
      const stdout = output(paths.stdout, 'stdout');
      const stderr = output(paths.stderr, 'stderr');
      return new TaskStdio(stdin, stdout, stderr);
    } catch (error) {
      for (const step of undo.reverse()) step();
      throw error;
    }
  }

  get stdin(): number | undefined {
    return this.#stdin;
  }
  get stdout(): number {
    return this.#stdout.fd;
  }
  get stderr(): number {
    return this.#stderr.fd;
  }

  /** Bytes of output dropped because nobody read them (for the log). */
  get dropped(): number {
    return (this.#stdout.relay?.dropped ?? 0) + (this.#stderr.relay?.dropped ?? 0);
  }

  closeStdin(): void {
    if (this.#stdin !== undefined) fs.closeSync(this.#stdin);
    this.#stdin = undefined;
  }

  /** After the module ended: deliver what it wrote and give containerd's readers end-of-file. */
  async finishOutput(): Promise<void> {
    if (this.#closed) return; // closed: nothing is left to deliver (a retried Delete)
    await Promise.all([this.#stdout, this.#stderr].map((o) => o.relay?.finish()));
  }

  /** Idempotent: frees everything, dropping output not delivered yet. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeStdin();
    for (const o of [this.#stdout, this.#stderr]) {
      if (o.relay) o.relay.destroy();
      else fs.closeSync(o.fd);
    }
  }
}
