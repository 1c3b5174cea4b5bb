// One Wasm container: its state machine, stdio, module and exit status. The module runs through
// the runtime's contract only (startModule -> RunningModule), in a worker thread of its own, so
// a module blocked in a poll never stalls this server. The exit status is kept until Delete.
//
// Locking: every field is touched only from the event loop (no await between a state check and
// the move it guards), so the state machine is the only guard needed.
import path from 'node:path';
import type { Arch } from '../oci-spec/arch.ts';
import type { EbpfPolicy, ExitStatus, ModuleSpec, ModuleStats, ModuleUsage, RunningModule, StopSignal } from '../runtime/index.ts';
import type { ResolvedModule } from '../container/index.ts';
import { Events, TaskStatus, timestamp, type Timestamp } from './protos.ts';
import { ShimError, invalidArgument, notFound } from './errors.ts';
import { TC_JOURNAL_DIR } from './bundle.ts';
import { TaskStateMachine, type TaskState } from './task-state.ts';
import type { EventSink } from './events.ts';
import type { Logger } from './log.ts';
import type { TaskStdio, StdioPaths } from './stdio.ts';

export type StartModule = (spec: ModuleSpec) => RunningModule;

/** What a task's exit looks like to containerd. */
export interface TaskExit {
  status: number;
  at: Date;
}

const STATUS_OF_STATE: Record<TaskState, number> = {
  created: TaskStatus.Created,
  running: TaskStatus.Running,
  stopped: TaskStatus.Stopped,
  deleted: TaskStatus.Stopped,
};

/** Signals a Wasm task understands: the polite ones stop its loop, SIGKILL ends it at once. */
export function stopSignalFor(signal: number): StopSignal | undefined {
  switch (signal) {
    case 9:
      return 'SIGKILL';
    case 2:
      return 'SIGINT';
    case 1:
    case 3:
    case 15:
      return 'SIGTERM';
    default:
      return undefined;
  }
}

export interface WasmTaskOptions {
  id: string;
  bundle: string;
  stdioPaths: StdioPaths;
  stdio: TaskStdio;
  module: ResolvedModule;
  policy: EbpfPolicy;
  /** Bytes, the module's linear memory cap (shim/node-policy.ts taskMemoryLimit). */
  memoryLimit: number;
  hostArch: Arch;
  events: EventSink;
  log: Logger;
  startModule: StartModule;
  /** The spec's annotations (CRI pod and container names: the metrics' labels). */
  annotations?: Record<string, string>;
  /** Undoes what Create did outside this object (the rootfs mount); run once on Delete. */
  release: () => Promise<void>;
}

/** SIGCHLD, SIGCONT, SIGURG, SIGWINCH: signals whose default action leaves a process running. */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]);

export class WasmTask {
  readonly id: string;
  readonly bundle: string;
  readonly pid = process.pid;
  readonly #opts: WasmTaskOptions;
  readonly #state: TaskStateMachine;
  #running: RunningModule | undefined;
  #finalStats: ModuleStats | undefined;
  #exit: TaskExit | undefined;
  readonly #exited: Promise<TaskExit>;
  #resolveExited!: (exit: TaskExit) => void;

  constructor(opts: WasmTaskOptions) {
    this.id = opts.id;
    this.bundle = opts.bundle;
    this.#opts = opts;
    this.#state = new TaskStateMachine(opts.id);
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  get state(): TaskState {
    return this.#state.state;
  }

  start(): number {
    this.#state.check('start');
    const { module, stdio } = this.#opts;
    let running: RunningModule;
    try {
      running = this.#opts.startModule({
        wasm: module.wasm,
        args: module.args,
        env: module.env,
        ...(stdio.stdin !== undefined ? { stdin: stdio.stdin } : {}),
        stdout: stdio.stdout,
        stderr: stdio.stderr,
        bpfObjects: module.bpfObjects,
        hostArch: this.#opts.hostArch,
        policy: this.#opts.policy,
        memoryLimit: this.#opts.memoryLimit,
        tcJournal: path.join(this.bundle, TC_JOURNAL_DIR),
      });
    } catch (error) {
      throw new ShimError('WASMBPF_SHIM_START', `task ${this.id}: the module did not start: ${(error as Error).message}`, { cause: error });
    }
    this.#state.move('start');
    this.#running = running;
    this.#opts.log.info('module started', { id: this.id, thread: running.threadId });
    running.exited.then(
      (status) => this.#onExit(status),
      (error: unknown) => this.#onExit({ code: 1, error: `runtime failure: ${String(error)}` }),
    );
    return this.pid;
  }

  kill(signal: number): void {
    if (signal === 0) {
      if (this.#state.state !== 'running' && this.#state.state !== 'created') throw notFound(`task ${this.id}: process already finished`);
      return;
    }
    if (IGNORED_BY_DEFAULT.has(signal)) {
      // A native process without handlers ignores these, and `ctr run` forwards every signal
      // it gets (a terminal resize, a shell's SIGCONT): accept them and change nothing.
      if (this.#state.state !== 'running' && this.#state.state !== 'created') throw notFound(`task ${this.id}: process already finished`);
      return;
    }
    const stop = stopSignalFor(signal);
    if (!stop) throw invalidArgument(`task ${this.id}: signal ${signal} is not supported for Wasm tasks (use SIGTERM, SIGINT or SIGKILL)`);
    switch (this.#state.state) {
      case 'created':
        // Killed before it ran: it exits with the signal's status, like a process would.
        this.#onExit({ code: 128 + signal, signal: stop });
        return;
      case 'running':
        this.#opts.log.info('stopping module', { id: this.id, signal: stop });
        this.#running!.stop(stop);
        return;
      default:
        // containerd treats NotFound from Kill as "already gone"
        throw notFound(`task ${this.id}: process already finished`);
    }
  }

  /** Resolves with the exit once the module has ended and released every eBPF object. */
  wait(): Promise<TaskExit> {
    return this.#exited;
  }

  /**
   * CloseIO(stdin). While the module runs its worker may be reading that fd: closing it now
   * would let the fd number be reused under the guest's feet, so it is closed once the module
   * has ended (or at once if it never started).
   */
  closeStdin(): void {
    if (this.#state.state === 'running') void this.#exited.then(() => this.#opts.stdio.closeStdin());
    else this.#opts.stdio.closeStdin();
  }

  snapshot(): { status: number; exitStatus: number; exitedAt: Timestamp | null } {
    return {
      status: STATUS_OF_STATE[this.#state.state],
      exitStatus: this.#exit?.status ?? 0,
      exitedAt: this.#exit ? timestamp(this.#exit.at) : null,
    };
  }

  /** The module's own CPU and memory (zeros when it is not running). */
  usage(): Promise<ModuleUsage> {
    return this.#running?.usage() ?? Promise.resolve({ cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 });
  }

  /** The module's records, host calls and eBPF figures (after its exit, the last ones); undefined before it started. */
  stats(): ModuleStats | undefined {
    return this.#running?.stats() ?? this.#finalStats;
  }

  get annotations(): Readonly<Record<string, string>> {
    return this.#opts.annotations ?? {};
  }

  get stdioPaths(): StdioPaths {
    return this.#opts.stdioPaths;
  }

  /** Delete: only a created or stopped task; frees the stdio and the rootfs mount. */
  async delete(): Promise<TaskExit> {
    this.#state.move('delete');
    // A task deleted before it started never ran: no exit event, but its waiters get an answer.
    const exit = this.#exit ?? { status: 0, at: new Date() };
    if (!this.#exit) {
      this.#exit = exit;
      this.#resolveExited(exit);
    }
    await this.#opts.stdio.finishOutput(); // delivers what is left (bounded by the relay's flush timeout)
    this.#opts.stdio.close();
    await this.#opts.release();
    this.#opts.events.publish('/tasks/delete', Events.TaskDelete.typeName, Events.TaskDelete.encode({
      containerId: this.id, pid: this.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at),
    }));
    return exit;
  }

  #onExit(status: ExitStatus): void {
    if (this.#exit) return;
    this.#state.move('exit');
    const exit = { status: status.code, at: new Date() };
    this.#exit = exit;
    // Its last figures stay readable until Delete (a scrape after the exit still sees them).
    this.#finalStats = this.#running?.stats();
    this.#running = undefined;
    this.#opts.log.info('module exited', { id: this.id, status: status.code, signal: status.signal, error: status.error });
    // The worker is gone: its output can be flushed and containerd's readers given end-of-file.
    void this.#opts.stdio.finishOutput().then(() => {
      const dropped = this.#opts.stdio.dropped;
      if (dropped > 0) this.#opts.log.warn('module output dropped: nobody was reading', { id: this.id, bytes: dropped });
    });
    // Out of its memory limit: what containerd hears of an OOM kill, before the exit (as runc's
    // shim publishes it). Ordering rule (events.ts): the exit event is queued before any Wait is answered.
    if (status.outOfMemory) {
      this.#opts.log.warn('module out of memory', { id: this.id, memoryLimit: this.#opts.memoryLimit });
      this.#opts.events.publish('/tasks/oom', Events.TaskOOM.typeName, Events.TaskOOM.encode({ containerId: this.id }));
    }
    this.#opts.events.publish('/tasks/exit', Events.TaskExit.typeName, Events.TaskExit.encode({
      containerId: this.id, id: this.id, pid: this.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at),
    }));
    this.#resolveExited(exit);
  }
}
