// containerd.task.v2.Task, the service containerd calls on the shim. Every RPC has the same
// shape: decode, look the task up, delegate (to the WasmTask, or relayed as raw bytes to the
// runc shim for containers that are not Wasm), encode; errors become ttrpc statuses in one place
// (error-status.ts) and events leave through the one queue (events.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Handler } from '../ttrpc/index.ts';
import type { Arch } from '../oci-spec/arch.ts';
import { toTtrpcError } from './error-status.ts';
import { ShimError, notFound, notSupported, invalidArgument } from './errors.ts';
import { Events, Task, timestamp, type CreateTaskRequest } from './protos.ts';
import { ANNOTATION_CONTAINER_TYPE, PID_FILE, mountRootfs, readSpec, rootfsPath, unmount } from './bundle.ts';
import { TaskStdio } from './stdio.ts';
import { taskMetrics } from './task-metrics.ts';
import { checkModule, resolveModule, taskLimits } from '../container/index.ts';
import { nodeConfigPath } from './node-config.ts';
import { TaskCgroup, type LinuxResources } from './cgroup.ts';
import { WasmTask, type StartModule } from './wasm-task.ts';
import type { ContainerdApi } from './containerd-api.ts';
import type { EventSink } from './events.ts';
import type { BundleLogs, Logger } from './log.ts';
import type { RuncDelegates } from './runc-delegate.ts';

export { TASK_SERVICE } from './names.ts';

export interface TaskServiceDeps {
  events: EventSink;
  log: Logger;
  /** Where each task's log lines go (its bundle's log FIFO), from Create to Delete. */
  logs?: Pick<BundleLogs, 'open' | 'close'>;
  delegates: RuncDelegates;
  api: () => ContainerdApi;
  startModule: StartModule;
  /** Compiles (and caches) a module with its memory cap: Create checks the module with it, so Start has nothing left to fail on. */
  compileModule: (wasm: Uint8Array, memoryLimit: number) => Promise<unknown>;
  hostArch: Arch;
  /**
   * The server holds every Wasm task of the namespace (grouping "node"): it then joins no task's
   * cgroup, since one process cannot be in several (docs/shim.md, "Grouping").
   */
  sharedServer?: boolean;
  /** The node config used when Create carries no runtime options naming one (container/node-policy.ts). */
  nodeConfig?: string;
  /** Called after a Shutdown that found no task left: the server then exits. */
  onIdle: () => void;
}

const VERSION = '1';

export class TaskService {
  readonly #deps: TaskServiceDeps;
  /** Wasm tasks by id. Event-loop only; #creating reserves ids while Create awaits. */
  readonly #tasks = new Map<string, WasmTask>();
  readonly #creating = new Set<string>();
  /** The Wasm task whose cgroup the shim process is in (cgroup.ts): at most one per process. */
  #cgroup: { id: string; cgroup: TaskCgroup } | undefined;

  constructor(deps: TaskServiceDeps) {
    this.#deps = deps;
  }

  /** The Wasm tasks this server holds (for its metrics endpoint). */
  get wasmTasks(): Iterable<WasmTask> {
    return this.#tasks.values();
  }

  get taskCount(): number {
    return this.#tasks.size + this.#creating.size + this.#deps.delegates.size;
  }

  /** The ttrpc handler table. */
  handlers(): Record<string, Handler> {
    const local = {
      Create: (p: Uint8Array) => this.#create(p),
      Start: (p: Uint8Array) => this.#start(p),
      State: (p: Uint8Array) => this.#state(p),
      Wait: (p: Uint8Array) => this.#wait(p),
      Kill: (p: Uint8Array) => this.#kill(p),
      Delete: (p: Uint8Array) => this.#delete(p),
      Pids: (p: Uint8Array) => this.#pids(p),
      Stats: (p: Uint8Array) => this.#stats(p),
      Connect: (p: Uint8Array) => this.#connect(p),
      Shutdown: (p: Uint8Array) => this.#shutdown(p),
      CloseIO: (p: Uint8Array) => this.#closeIO(p),
      Update: (p: Uint8Array) => this.#update(p),
      ResizePty: (p: Uint8Array) => this.#resizePty(p),
      Pause: (p: Uint8Array) => this.#unsupported(p, 'Pause'),
      Resume: (p: Uint8Array) => this.#unsupported(p, 'Resume'),
      Checkpoint: (p: Uint8Array) => this.#unsupported(p, 'Checkpoint'),
      Exec: (p: Uint8Array) => this.#unsupported(p, 'Exec'),
    } satisfies Record<string, (p: Uint8Array) => Promise<Uint8Array>>;
    const table: Record<string, Handler> = {};
    for (const [method, fn] of Object.entries(local)) {
      table[method] = async (payload) => {
        try {
          // Every Task request has the container id in field 1: route delegated ones untouched.
          const { id } = Task.IdOnly.decode(payload);
          if (method !== 'Create' && method !== 'Shutdown' && this.#deps.delegates.has(id)) {
            return await this.#deps.delegates.call(id, method, payload);
          }
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

  #get(id: string): WasmTask {
    const task = this.#tasks.get(id);
    if (!task) throw notFound(`task ${id}`);
    return task;
  }

  async #create(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.CreateTaskRequest.decode(payload);
    if (!req.id) throw invalidArgument('Create: missing the task id');
    if (this.#tasks.has(req.id) || this.#creating.has(req.id) || this.#deps.delegates.has(req.id)) {
      throw new ShimError('WASMBPF_SHIM_EXISTS', `task ${req.id}: already exists`);
    }
    if (req.checkpoint) throw notSupported('restoring a task from a checkpoint');
    this.#creating.add(req.id);
    try {
      return await this.#createReserved(req, payload);
    } finally {
      this.#creating.delete(req.id);
    }
  }

  async #createReserved(req: CreateTaskRequest, payload: Uint8Array): Promise<Uint8Array> {
    const began = performance.now();
    const log = this.#deps.log.with({ id: req.id });
    const bundle = path.resolve(req.bundle);
    const spec = readSpec(bundle);
    const delegate = (reason: string) =>
      // The runtime options (ours, e.g. runtimeoptions.v1.Options from CRI) mean nothing to runc's shim.
      this.#deps.delegates.create(req.id, bundle, req.options ? Task.CreateTaskRequest.encode({ ...req, options: null }) : payload, reason);
    if (spec.annotations?.[ANNOTATION_CONTAINER_TYPE] === 'sandbox') return delegate('the CRI pod sandbox (pause) container');

    const rootfs = rootfsPath(bundle, spec);
    if (req.rootfs.length > 0) await mountRootfs(req.rootfs, rootfs);
    const release = async () => {
      if (this.#cgroup?.id === req.id) {
        this.#cgroup.cgroup.leave();
        this.#cgroup = undefined;
      }
      if (req.rootfs.length > 0) await unmount(rootfs);
    };
    let stdio: TaskStdio | undefined;
    this.#deps.logs?.open(req.id, bundle);
    try {
      const nodeConfig = nodeConfigPath(req.options, this.#deps.nodeConfig);
      const module = await resolveModule({ id: req.id, spec, rootfs, hostArch: this.#deps.hostArch, api: this.#deps.api, ...(nodeConfig ? { nodeConfig } : {}) });
      if (!module) {
        this.#deps.logs?.close(req.id); // runc's shim logs there
        await release(); // runc's shim mounts the rootfs itself
        return await delegate(`process.args[0] ${JSON.stringify(spec.process?.args?.[0] ?? '')} is not a Wasm module`);
      }
      if (req.terminal) throw invalidArgument(`task ${req.id}: a terminal is not supported for Wasm tasks (run without -t)`);
      const resources = spec.linux?.resources as LinuxResources | undefined;
      const { policy, memoryLimit } = taskLimits(spec, module.annotations, nodeConfig, resources?.memory?.limit);
      await checkModule(req.id, module, memoryLimit, this.#deps.compileModule);
      stdio = TaskStdio.open(req);
      this.#joinCgroup(req.id, spec.linux?.cgroupsPath, resources, log);
      const task = new WasmTask({
        id: req.id,
        bundle,
        stdioPaths: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr },
        stdio,
        module,
        policy,
        memoryLimit,
        hostArch: this.#deps.hostArch,
        events: this.#deps.events,
        log,
        startModule: this.#deps.startModule,
        annotations: spec.annotations ?? {},
        release,
      });
      // For `delete` after a crash of this process: containerd reports the task's exit with it.
      fs.writeFileSync(path.join(bundle, PID_FILE), `${task.pid}`);
      this.#tasks.set(req.id, task);
      log.info('created Wasm task', { origin: module.origin, args: module.args.join(' '), policy: JSON.stringify(policy), memoryLimit, createMs: Math.round(performance.now() - began) });
      this.#deps.events.publish('/tasks/create', Events.TaskCreate.typeName, Events.TaskCreate.encode({
        containerId: req.id, bundle, rootfs: req.rootfs,
        io: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal }, pid: task.pid,
      }));
      return Task.CreateTaskResponse.encode({ pid: task.pid });
    } catch (error) {
      log.info('Create failed', { error: (error as Error).message });
      this.#deps.logs?.close(req.id);
      stdio?.close();
      await release();
      throw error;
    }
  }

  /**
   * A Wasm task is a thread of this process, and a process is in one cgroup: the first Wasm task
   * of a pod's server takes the process into its cgroup (CPU and pids limits, and accounting for
   * the kubelet); later ones share it. The memory limit is each task's own (cgroup.ts says why).
   * A node's server joins no task's cgroup.
   */
  #joinCgroup(id: string, cgroupsPath: string | undefined, resources: LinuxResources | undefined, log: Logger): void {
    if (!cgroupsPath) return;
    if (this.#deps.sharedServer) {
      log.info('Wasm task in the node\'s shared server: its cgroup is not joined', { cgroup: cgroupsPath });
      return;
    }
    if (this.#cgroup) {
      log.info('Wasm task shares the shim process and its cgroup', { cgroup: this.#cgroup.cgroup.path });
      return;
    }
    const cgroup = TaskCgroup.join(cgroupsPath, resources, log);
    if (cgroup) this.#cgroup = { id, cgroup };
  }

  async #start(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.StartRequest.decode(payload);
    if (req.execId) throw notFound(`exec ${req.execId} of task ${req.id}`);
    const task = this.#get(req.id);
    const pid = task.start();
    this.#deps.events.publish('/tasks/start', Events.TaskStart.typeName, Events.TaskStart.encode({ containerId: req.id, pid }));
    return Task.StartResponse.encode({ pid });
  }

  async #state(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.StateRequest.decode(payload);
    if (req.execId) throw notFound(`exec ${req.execId} of task ${req.id}`);
    const task = this.#get(req.id);
    const { stdin, stdout, stderr } = task.stdioPaths;
    return Task.StateResponse.encode({ id: task.id, bundle: task.bundle, pid: task.pid, stdin, stdout, stderr, terminal: false, ...task.snapshot() });
  }

  async #wait(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.WaitRequest.decode(payload);
    if (req.execId) throw notFound(`exec ${req.execId} of task ${req.id}`);
    const exit = await this.#get(req.id).wait();
    return Task.WaitResponse.encode({ exitStatus: exit.status, exitedAt: timestamp(exit.at) });
  }

  async #kill(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.KillRequest.decode(payload);
    if (req.execId) throw notFound(`exec ${req.execId} of task ${req.id}`);
    this.#get(req.id).kill(req.signal);
    return Task.Empty.encode({});
  }

  async #delete(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.DeleteRequest.decode(payload);
    if (req.execId) throw notFound(`exec ${req.execId} of task ${req.id}`);
    const task = this.#get(req.id);
    const exit = await task.delete();
    this.#tasks.delete(req.id);
    this.#deps.logs?.close(req.id);
    return Task.DeleteResponse.encode({ pid: task.pid, exitStatus: exit.status, exitedAt: timestamp(exit.at) });
  }

  async #pids(payload: Uint8Array): Promise<Uint8Array> {
    const task = this.#get(Task.PidsRequest.decode(payload).id);
    // The module runs on a thread of this process: the shim's pid is the task's.
    return Task.PidsResponse.encode({ processes: task.state === 'running' ? [{ pid: task.pid }] : [] });
  }

  async #stats(payload: Uint8Array): Promise<Uint8Array> {
    const task = this.#get(Task.StatsRequest.decode(payload).id);
    const mapBytes = task.stats()?.maps.reduce((sum, m) => sum + m.memoryBytes, 0) ?? 0;
    return Task.StatsResponse.encode({ stats: taskMetrics(await task.usage(), undefined, mapBytes) });
  }

  async #connect(payload: Uint8Array): Promise<Uint8Array> {
    const { id } = Task.ConnectRequest.decode(payload);
    const task = this.#tasks.get(id);
    return Task.ConnectResponse.encode({ shimPid: process.pid, taskPid: task?.pid ?? 0, version: VERSION });
  }

  async #shutdown(payload: Uint8Array): Promise<Uint8Array> {
    await this.#deps.delegates.shutdown(payload);
    if (this.taskCount === 0) {
      this.#deps.log.info('shutdown: no task left');
      setImmediate(this.#deps.onIdle); // after this response is written
    }
    return Task.Empty.encode({});
  }

  async #closeIO(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.CloseIORequest.decode(payload);
    const task = this.#get(req.id);
    if (req.stdin) task.closeStdin();
    return Task.Empty.encode({});
  }

  async #update(payload: Uint8Array): Promise<Uint8Array> {
    const req = Task.UpdateTaskRequest.decode(payload);
    this.#get(req.id);
    // containerd marshals the OCI LinuxResources (not a protobuf message) as JSON inside the Any.
    let resources: LinuxResources | undefined;
    if (req.resources?.value.length) {
      try {
        resources = JSON.parse(Buffer.from(req.resources.value).toString('utf8')) as LinuxResources;
      } catch (error) {
        throw invalidArgument(`task ${req.id}: Update resources (${req.resources.type_url}) are not LinuxResources JSON`, error);
      }
    }
    if (this.#cgroup?.id === req.id) this.#cgroup.cgroup.update(resources);
    else this.#deps.log.info('update: this Wasm task shares the shim process; its cgroup is another task\'s or none', { id: req.id });
    return Task.Empty.encode({});
  }

  async #resizePty(payload: Uint8Array): Promise<Uint8Array> {
    this.#get(Task.ResizePtyRequest.decode(payload).id);
    return Task.Empty.encode({}); // Wasm tasks have no terminal; there is nothing to resize
  }

  async #unsupported(payload: Uint8Array, method: string): Promise<Uint8Array> {
    const { id } = Task.IdOnly.decode(payload);
    this.#get(id);
    throw notSupported(`${method}`);
  }
}
