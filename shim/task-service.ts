// containerd.task.v2.Task, the service containerd calls on the shim. Every RPC has the same
// shape, whatever runs the task (task.ts): decode, look the task up, call it (it checks and makes
// its own state move), publish the lifecycle event its reply reports, encode. Create goes through
// the factory (task-factory.ts); errors become ttrpc statuses in one place (error-status.ts), and
// every event this server sends leaves from here through the one queue (events.ts), in the
// order create, start, (oom,) exit, delete.
import path from 'node:path';
import type { Handler } from '../ttrpc/index.ts';
import { toTtrpcError } from './error-status.ts';
import { ShimError, notFound, notSupported, invalidArgument } from './errors.ts';
import { Events, Task as TaskApi, timestamp, type Codec, type CreateTaskRequest } from './protos.ts';
import { TaskFactory, type TaskFactoryDeps } from './task-factory.ts';
import { WasmTask } from './wasm-task.ts';
import { SHIM_API_VERSION, type Call, type ExitReport, type OptionalMethod, type Reply, type Task } from './task.ts';
import type { EventSink } from './events.ts';

export { TASK_SERVICE } from './names.ts';

export interface TaskServiceDeps extends TaskFactoryDeps {
  events: EventSink;
  /** Called after a Shutdown that found no task left: the server then exits. */
  onIdle: () => void;
}

export class TaskService {
  readonly #deps: TaskServiceDeps;
  readonly #factory: TaskFactory;
  /** Every task by id, Wasm or relayed. Event-loop only; #creating reserves ids while Create awaits. */
  readonly #tasks = new Map<string, Task>();
  readonly #creating = new Set<string>();

  constructor(deps: TaskServiceDeps) {
    this.#deps = deps;
    this.#factory = new TaskFactory(deps);
  }

  /** The Wasm tasks this server holds (for its metrics endpoint). */
  get wasmTasks(): Iterable<WasmTask> {
    return [...this.#tasks.values()].filter((task) => task instanceof WasmTask);
  }

  get taskCount(): number {
    return this.#tasks.size + this.#creating.size;
  }

  /** The ttrpc handler table. */
  handlers(): Record<string, Handler> {
    const onTask = <R extends { id: string }>(codec: Codec<R>, run: (task: Task, call: Call<R>) => Promise<Reply>, publish?: (request: R, reply: Reply) => void) =>
      (payload: Uint8Array) => this.#onTask({ request: codec.decode(payload), payload }, run, publish);
    const optional = (method: OptionalMethod) => onTask(TaskApi.IdOnly, (task, call) => task.optional(method, call));
    const local = {
      Create: (p: Uint8Array) => this.#create({ request: TaskApi.CreateTaskRequest.decode(p), payload: p }),
      Start: onTask(TaskApi.StartRequest, (task, call) => task.start(call), (req, reply) => this.#publishStart(req.id, reply)),
      State: onTask(TaskApi.StateRequest, (task, call) => task.state(call)),
      Wait: onTask(TaskApi.WaitRequest, (task, call) => task.wait(call)),
      Kill: onTask(TaskApi.KillRequest, (task, call) => task.kill(call)),
      Delete: onTask(TaskApi.DeleteRequest, (task, call) => task.delete(call), (req, reply) => {
        if (req.execId) return; // that exec'd process alone is gone (a relayed task's)
        this.#tasks.delete(req.id);
        this.#publishDelete(req.id, reply);
      }),
      Pids: onTask(TaskApi.PidsRequest, (task, call) => task.pids(call)),
      Stats: onTask(TaskApi.StatsRequest, (task, call) => task.stats(call)),
      CloseIO: onTask(TaskApi.CloseIORequest, (task, call) => task.closeIO(call)),
      Update: onTask(TaskApi.UpdateTaskRequest, (task, call) => task.update(call)),
      ResizePty: onTask(TaskApi.ResizePtyRequest, (task, call) => task.resizePty(call)),
      Pause: optional('Pause'),
      Resume: optional('Resume'),
      Checkpoint: optional('Checkpoint'),
      Exec: optional('Exec'),
      Connect: (p: Uint8Array) => this.#connect({ request: TaskApi.ConnectRequest.decode(p), payload: p }),
      Shutdown: (p: Uint8Array) => this.#shutdown(p),
    } satisfies Record<string, (p: Uint8Array) => Promise<Uint8Array>>;
    const table: Record<string, Handler> = {};
    for (const [method, fn] of Object.entries(local)) {
      table[method] = async (payload) => {
        try {
          return await fn(payload);
        } catch (error) {
          const converted = toTtrpcError(error);
          this.#deps.log.debug('request failed', { method, error: converted.message });
          throw converted;
        }
      };
    }
    return table;
  }

  /** One RPC to one task: lookup, the task's work (with its state move), what it changed. */
  async #onTask<R extends { id: string }>(call: Call<R>, run: (task: Task, call: Call<R>) => Promise<Reply>, publish?: (request: R, reply: Reply) => void): Promise<Uint8Array> {
    const task = this.#tasks.get(call.request.id);
    if (!task) throw notFound(`task ${call.request.id}`);
    const reply = await run(task, call);
    publish?.(call.request, reply);
    return reply.response;
  }

  // A relayed task's reply has no lifecycle: the runc shim tells containerd about that task itself.

  #publishStart(id: string, { lifecycle }: Reply): void {
    if (!lifecycle) return;
    this.#deps.events.publish('/tasks/start', Events.TaskStart.typeName, Events.TaskStart.encode({ containerId: id, pid: lifecycle.pid }));
  }

  #publishDelete(id: string, { lifecycle }: Reply): void {
    if (!lifecycle?.exit) return;
    const { pid, exit } = lifecycle;
    this.#deps.events.publish('/tasks/delete', Events.TaskDelete.typeName, Events.TaskDelete.encode({
      containerId: id, pid, exitStatus: exit.status, exitedAt: timestamp(exit.at),
    }));
  }

  async #create(call: Call<CreateTaskRequest>): Promise<Uint8Array> {
    const req = call.request;
    if (!req.id) throw invalidArgument('Create: missing the task id');
    if (this.#tasks.has(req.id) || this.#creating.has(req.id)) {
      throw new ShimError('WASMBPF_SHIM_EXISTS', `task ${req.id}: already exists`);
    }
    if (req.checkpoint) throw notSupported('restoring a task from a checkpoint');
    this.#creating.add(req.id);
    try {
      const { task, reply } = await this.#factory.create(call, (exit) => this.#publishExit(req.id, exit));
      this.#tasks.set(req.id, task);
      if (reply.lifecycle) {
        this.#deps.events.publish('/tasks/create', Events.TaskCreate.typeName, Events.TaskCreate.encode({
          containerId: req.id, bundle: path.resolve(req.bundle), rootfs: req.rootfs,
          io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, pid: reply.lifecycle.pid,
        }));
      }
      return reply.response;
    } finally {
      this.#creating.delete(req.id);
    }
  }

  /** A Wasm task's end: out of its memory limit, containerd hears of an OOM kill first, as runc's shim publishes it. */
  #publishExit(id: string, exit: ExitReport): void {
    if (exit.outOfMemory) this.#deps.events.publish('/tasks/oom', Events.TaskOOM.typeName, Events.TaskOOM.encode({ containerId: id }));
    this.#deps.events.publish('/tasks/exit', Events.TaskExit.typeName, Events.TaskExit.encode({
      containerId: id, id, pid: exit.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at),
    }));
  }

  /** containerd connects before it knows whether the task exists: an unknown one has pid 0. */
  async #connect(call: Call<{ id: string }>): Promise<Uint8Array> {
    const task = this.#tasks.get(call.request.id);
    if (task) return (await task.connect(call)).response;
    return TaskApi.ConnectResponse.encode({ shimPid: process.pid, taskPid: 0, version: SHIM_API_VERSION });
  }

  async #shutdown(payload: Uint8Array): Promise<Uint8Array> {
    await this.#deps.delegates.shutdown(payload);
    if (this.taskCount === 0) {
      this.#deps.log.info('shutdown: no task left');
      setImmediate(this.#deps.onIdle); // after this response is written
    }
    return TaskApi.Empty.encode({});
  }
}
