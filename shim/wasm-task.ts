// One Wasm container: its state table, stdio, module and exit status. The module runs through
// the runtime's contract only (startModule -> RunningModule), in a worker thread of its own, so
// a module blocked in a poll never stalls this server. The exit status is kept until Delete.
// It answers the Task RPCs (task.ts); the service publishes the events its replies and its
// exit hook report.
//
// Locking: every field is touched only from the event loop (no await between a state check and
// the move it guards), so the state table is the only guard needed.
import type { ExitStatus, ModuleStats, ModuleUsage, RunningModule, StartModule, StopSignal } from '../runtime/index.ts';
import { moduleSpec, type WasmContainer } from '../container/index.ts';
import { Task as TaskApi, TaskStatus, timestamp, type CloseIORequest, type KillRequest, type TaskIdRequest, type UpdateTaskRequest } from './protos.ts';
import { ShimError, invalidArgument, notFound, notSupported } from './errors.ts';
import { TaskStateMachine, type TaskState } from './task-state.ts';
import { taskMetrics } from './task-metrics.ts';
import { SHIM_API_VERSION, type Call, type ExitReport, type OptionalMethod, type Reply, type Task, type TaskExit } from './task.ts';
import type { LinuxResources, TaskCgroup } from './cgroup.ts';
import type { Logger } from './log.ts';
import type { TaskStdio, StdioPaths } from './stdio.ts';

const STATUS_OF_STATE: Record<TaskState, number> = {
  created: TaskStatus.Created,
  running: TaskStatus.Running,
  stopped: TaskStatus.Stopped,
  deleting: TaskStatus.Stopped,
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
  /** The module and what it runs under, as the container layer decided at Create. */
  container: WasmContainer;
  log: Logger;
  startModule: StartModule;
  /** The spec's annotations (CRI pod and container names: the metrics' labels). */
  annotations?: Record<string, string>;
  /** The cgroup this task took the server into (task-factory.ts), which Update changes; none if it shares another's. */
  cgroup?: TaskCgroup;
  /** Undoes what Create prepared for the task's life (cgroup, log, rootfs mount) on Delete; throws to have Delete retried. */
  release: () => Promise<void>;
  /** Called once when the module has ended (or the task was killed before it ran), before any Wait is answered. */
  onExit: (exit: ExitReport) => void;
}

/** SIGCHLD, SIGCONT, SIGURG, SIGWINCH: signals whose default action leaves a process running. */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]);

const EMPTY = TaskApi.Empty.encode({});

export class WasmTask implements Task {
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

  get taskState(): TaskState {
    return this.#state.state;
  }

  get annotations(): Readonly<Record<string, string>> {
    return this.#opts.annotations ?? {};
  }

  async start({ request }: Call<TaskIdRequest>): Promise<Reply> {
    this.#noExec(request);
    this.#state.check('start');
    let running: RunningModule;
    try {
      running = this.#opts.startModule(moduleSpec(this.#opts.container, this.#opts.stdio, this.bundle));
    } catch (error) {
      throw new ShimError('WASMBPF_SHIM_START', `task ${this.id}: the module did not start: ${(error as Error).message}`, { cause: error });
    }
    this.#state.move('start');
    this.#running = running;
    this.#opts.log.info('module started', { id: this.id, thread: running.threadId });
    running.exited.then(
      (status) => this.#ended('exit', status),
      (error: unknown) => this.#ended('exit', { code: 1, error: `runtime failure: ${String(error)}` }),
    );
    return { response: TaskApi.StartResponse.encode({ pid: this.pid }), lifecycle: { pid: this.pid } };
  }

  async state({ request }: Call<TaskIdRequest>): Promise<Reply> {
    this.#noExec(request);
    const { stdin, stdout, stderr } = this.#opts.stdioPaths;
    return {
      response: TaskApi.StateResponse.encode({
        id: this.id, bundle: this.bundle, pid: this.pid, stdin, stdout, stderr, terminal: false,
        status: STATUS_OF_STATE[this.#state.state],
        exitStatus: this.#exit?.status ?? 0,
        exitedAt: this.#exit ? timestamp(this.#exit.at) : null,
      }),
    };
  }

  /** Answers once the module has ended and released every eBPF object. */
  async wait({ request }: Call<TaskIdRequest>): Promise<Reply> {
    this.#noExec(request);
    const exit = await this.#exited;
    return { response: TaskApi.WaitResponse.encode({ exitStatus: exit.status, exitedAt: timestamp(exit.at) }) };
  }

  async kill({ request }: Call<KillRequest>): Promise<Reply> {
    this.#noExec(request);
    const { signal } = request;
    // containerd treats NotFound from Kill as "already gone"
    const finished = () => notFound(`task ${this.id}: process already finished`);
    if (signal === 0 || IGNORED_BY_DEFAULT.has(signal)) {
      // A native process without handlers ignores these, and `ctr run` forwards every signal
      // it gets (a terminal resize, a shell's SIGCONT): accept them and change nothing.
      if (!this.#state.can('kill')) throw finished();
      return { response: EMPTY };
    }
    const stop = stopSignalFor(signal);
    if (!stop) throw invalidArgument(`task ${this.id}: signal ${signal} is not supported for Wasm tasks (use SIGTERM, SIGINT or SIGKILL)`);
    if (!this.#state.can('kill')) throw finished();
    if (this.#state.state === 'created') {
      // Killed before it ran: it exits with the signal's status, like a process would.
      this.#ended('kill', { code: 128 + signal, signal: stop });
    } else {
      this.#state.move('kill');
      this.#opts.log.info('stopping module', { id: this.id, signal: stop });
      this.#running!.stop(stop);
    }
    return { response: EMPTY };
  }

  /** Only a created or stopped task; frees its stdio and what Create prepared for it. */
  async delete({ request }: Call<TaskIdRequest>): Promise<Reply> {
    this.#noExec(request);
    this.#state.move('delete');
    // A task deleted before it started never ran: no exit event, but its waiters get an answer.
    if (!this.#exit) {
      this.#exit = { status: 0, at: new Date() };
      this.#resolveExited(this.#exit);
    }
    const exit = this.#exit;
    try {
      await this.#opts.stdio.finishOutput(); // delivers what is left (bounded by the relay's flush timeout)
      this.#opts.stdio.close();
      await this.#opts.release();
    } catch (error) {
      this.#state.move('delete-failed');
      throw error;
    }
    this.#state.move('deleted');
    return {
      response: TaskApi.DeleteResponse.encode({ pid: this.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at) }),
      lifecycle: { pid: this.pid, exit },
    };
  }

  async pids(): Promise<Reply> {
    // The module runs on a thread of this process: the shim's pid is the task's.
    return { response: TaskApi.PidsResponse.encode({ processes: this.#state.state === 'running' ? [{ pid: this.pid }] : [] }) };
  }

  async stats(): Promise<Reply> {
    const mapBytes = this.moduleStats()?.maps.reduce((sum, m) => sum + m.memoryBytes, 0) ?? 0;
    return { response: TaskApi.StatsResponse.encode({ stats: taskMetrics(await this.usage(), undefined, mapBytes) }) };
  }

  /**
   * CloseIO(stdin). While the module runs its worker may be reading that fd: closing it now
   * would let the fd number be reused under the guest's feet, so it is closed once the module
   * has ended (or at once if it never started).
   */
  async closeIO({ request }: Call<CloseIORequest>): Promise<Reply> {
    if (request.stdin) {
      if (this.#state.state === 'running') void this.#exited.then(() => this.#opts.stdio.closeStdin());
      else this.#opts.stdio.closeStdin();
    }
    return { response: EMPTY };
  }

  async update({ request }: Call<UpdateTaskRequest>): Promise<Reply> {
    // containerd marshals the OCI LinuxResources (not a protobuf message) as JSON inside the Any.
    let resources: LinuxResources | undefined;
    if (request.resources?.value.length) {
      try {
        resources = JSON.parse(Buffer.from(request.resources.value).toString('utf8')) as LinuxResources;
      } catch (error) {
        throw invalidArgument(`task ${this.id}: Update resources (${request.resources.type_url}) are not LinuxResources JSON`, error);
      }
    }
    if (this.#opts.cgroup) this.#opts.cgroup.update(resources);
    else this.#opts.log.info('update: this Wasm task shares the shim process; its cgroup is another task\'s or none', { id: this.id });
    return { response: EMPTY };
  }

  async resizePty(): Promise<Reply> {
    return { response: EMPTY }; // Wasm tasks have no terminal; there is nothing to resize
  }

  async connect(): Promise<Reply> {
    return { response: TaskApi.ConnectResponse.encode({ shimPid: process.pid, taskPid: this.pid, version: SHIM_API_VERSION }) };
  }

  async optional(method: OptionalMethod): Promise<Reply> {
    throw notSupported(method);
  }

  /** The module's own CPU and memory (zeros when it is not running). */
  usage(): Promise<ModuleUsage> {
    return this.#running?.usage() ?? Promise.resolve({ cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 });
  }

  /** The module's records, host calls and eBPF figures (after its exit, the last ones); undefined before it started. */
  moduleStats(): ModuleStats | undefined {
    return this.#running?.stats() ?? this.#finalStats;
  }

  #noExec(request: TaskIdRequest | KillRequest): void {
    // A Wasm task is one process: it has no exec'd ones.
    if (request.execId) throw notFound(`exec ${request.execId} of task ${this.id}`);
  }

  /** The module ended ('exit'), or the task was killed before it ran ('kill'). */
  #ended(action: 'exit' | 'kill', status: ExitStatus): void {
    if (this.#exit) return;
    this.#state.move(action);
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
    const outOfMemory = status.outOfMemory === true;
    if (outOfMemory) this.#opts.log.warn('module out of memory', { id: this.id, memoryLimit: this.#opts.container.memoryLimit });
    // Ordering rule (events.ts): the exit is published before any Wait is answered.
    this.#opts.onExit({ ...exit, pid: this.pid, outOfMemory });
    this.#resolveExited(exit);
  }
}
