// Create: everything a task needs before it can start, in one place. A container that is not
// Wasm goes to runc's shim (runc-task.ts); a Wasm one is prepared step by step (rootfs mount, its
// bundle's log, the module and its image check, policy and limits, the compiled module, stdio,
// cgroup, pid file) into a WasmTask. Every step that leaves something behind records how to undo
// it: when a later step fails, what was done is undone in reverse, so a failed Create leaves
// nothing mounted, no FIFO open, no cgroup joined and no pid file (written last). What the task
// keeps for its life (mount, log, cgroup) is undone the same way by its Delete.
import fs from 'node:fs';
import path from 'node:path';
import type { Arch } from '../oci-spec/arch.ts';
import { invalidArgument } from './errors.ts';
import { Task as TaskApi, type CreateTaskRequest } from './protos.ts';
import { ANNOTATION_CONTAINER_TYPE, PID_FILE, mountRootfs, readSpec, rootfsPath, unmount } from './bundle.ts';
import { TaskStdio } from './stdio.ts';
import { prepareContainer, resolveModule } from '../container/index.ts';
import { nodeConfigPath } from './node-config.ts';
import { TaskCgroup, type LinuxResources } from './cgroup.ts';
import type { StartModule } from '../runtime/index.ts';
import { WasmTask } from './wasm-task.ts';
import { RuncTask } from './runc-task.ts';
import type { Call, ExitReport, Reply, Task } from './task.ts';
import type { ContainerdApi } from './containerd-api.ts';
import type { BundleLogs, Logger } from './log.ts';
import type { RuncDelegates } from './runc-delegate.ts';

export interface TaskFactoryDeps {
  log: Logger;
  /** Where each task's log lines go (its bundle's log FIFO), from Create to Delete. */
  logs?: Pick<BundleLogs, 'open' | 'close'>;
  delegates: RuncDelegates;
  api: () => ContainerdApi;
  startModule: StartModule;
  /** Compiles (and caches) a module with its memory cap: Create checks the module with it, so Start has nothing left to fail on. */
  compileModule: (wasm: Uint8Array, memoryLimit: number) => Promise<unknown>;
  hostArch: Arch;
  /** The server holds every Wasm task of the namespace: it then joins no task's cgroup (docs/shim.md, "Grouping"). */
  sharedServer?: boolean;
  /** The node config used when Create carries no runtime options naming one (container/node-policy.ts). */
  nodeConfig?: string;
}

/** The steps of one Create done so far, and how to undo each. */
class Preparation {
  readonly #steps: { what: string; undo: () => void | Promise<void>; keptByTask: boolean }[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** A step whose result the task keeps until its Delete (undone then, or if Create fails). */
  kept(what: string, undo: () => void | Promise<void>): void {
    this.#steps.push({ what, undo, keptByTask: true });
  }

  /** A step undone only if Create fails (the task takes it over, or it outlives the task). */
  done(what: string, undo: () => void | Promise<void>): void {
    this.#steps.push({ what, undo, keptByTask: false });
  }

  /** Create failed: undoes every step, last first; one that cannot be undone is logged and the rest still are. */
  async undoAll(): Promise<void> {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.undo();
      } catch (error) {
        this.#log.warn('cannot undo a step of a failed Create', { step: step.what, error: (error as Error).message });
      }
    }
  }

  /**
   * The task's Delete: undoes what it kept, last first. A step that fails stays recorded, with
   * those before it, and the error goes to Delete, which containerd may retry.
   */
  async release(): Promise<void> {
    const kept = this.#steps.filter((s) => s.keptByTask);
    this.#steps.length = 0;
    this.#steps.push(...kept);
    for (let step = this.#steps.at(-1); step; step = this.#steps.at(-1)) {
      await step.undo();
      this.#steps.pop();
    }
  }
}

export class TaskFactory {
  readonly #deps: TaskFactoryDeps;
  /** The cgroup this process is in for a Wasm task (cgroup.ts): at most one per process. */
  #joined: TaskCgroup | undefined;

  constructor(deps: TaskFactoryDeps) {
    this.#deps = deps;
  }

  /** Prepares the task; onExit is the Wasm task's exit hook (the service publishes its exit). */
  async create(call: Call<CreateTaskRequest>, onExit: (exit: ExitReport) => void): Promise<{ task: Task; reply: Reply }> {
    const { request: req, payload } = call;
    const began = performance.now();
    const log = this.#deps.log.with({ id: req.id });
    const bundle = path.resolve(req.bundle);
    const spec = readSpec(bundle);
    const toRunc = (reason: string) =>
      // The runtime options (ours, e.g. runtimeoptions.v1.Options from CRI) mean nothing to runc's shim.
      RuncTask.create(this.#deps.delegates, req.id, bundle, req.options ? TaskApi.CreateTaskRequest.encode({ ...req, options: null }) : payload, reason);
    if (spec.annotations?.[ANNOTATION_CONTAINER_TYPE] === 'sandbox') return toRunc('the CRI pod sandbox (pause) container');

    const steps = new Preparation(log);
    const rootfs = rootfsPath(bundle, spec);
    if (req.rootfs.length > 0) {
      await mountRootfs(req.rootfs, rootfs); // rolls itself back if it fails
      steps.kept('the rootfs mount', () => unmount(rootfs));
    }
    try {
      const logs = this.#deps.logs;
      if (logs) {
        logs.open(req.id, bundle);
        steps.kept('the task log', () => logs.close(req.id));
      }
      const nodeConfig = nodeConfigPath(req.options, this.#deps.nodeConfig);
      const module = await resolveModule({ id: req.id, spec, rootfs, hostArch: this.#deps.hostArch, api: this.#deps.api, ...(nodeConfig ? { nodeConfig } : {}) });
      if (!module) {
        await steps.undoAll(); // runc's shim mounts the rootfs itself, and logs there
        return await toRunc(`process.args[0] ${JSON.stringify(spec.process?.args?.[0] ?? '')} is not a Wasm module`);
      }
      if (req.terminal) throw invalidArgument(`task ${req.id}: a terminal is not supported for Wasm tasks (run without -t)`);
      const container = await prepareContainer(module, { id: req.id, spec, hostArch: this.#deps.hostArch, nodeConfig, compile: this.#deps.compileModule });
      const resources = spec.linux?.resources as LinuxResources | undefined;
      const stdio = TaskStdio.open(req);
      steps.done('the stdio FIFOs', () => stdio.close()); // the task's Delete closes them once their output is delivered
      const cgroup = this.#joinCgroup(spec.linux?.cgroupsPath, resources, log);
      if (cgroup) {
        steps.kept('the task cgroup', () => {
          cgroup.leave();
          this.#joined = undefined;
        });
      }
      const task = new WasmTask({
        id: req.id,
        bundle,
        stdioPaths: { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr },
        stdio,
        container,
        log,
        startModule: this.#deps.startModule,
        annotations: spec.annotations ?? {},
        ...(cgroup ? { cgroup } : {}),
        release: () => steps.release(),
        onExit,
      });
      // For `delete` after a crash of this process: containerd reports the task's exit with it.
      // It outlives the task (`delete` also runs after every normal Delete and reads it), and it
      // is the last step, so no failure of Create can leave one behind.
      fs.writeFileSync(path.join(bundle, PID_FILE), `${task.pid}`);
      log.info('created Wasm task', { origin: module.origin, args: module.args.join(' '), policy: JSON.stringify(container.policy), memoryLimit: container.memoryLimit, createMs: Math.round(performance.now() - began) });
      return { task, reply: { response: TaskApi.CreateTaskResponse.encode({ pid: task.pid }), lifecycle: { pid: task.pid } } };
    } catch (error) {
      log.info('Create failed', { error: (error as Error).message });
      await steps.undoAll();
      throw error;
    }
  }

  /**
   * A Wasm task is a thread of this process, and a process is in one cgroup: the first Wasm task
   * of a pod's server takes the process into its cgroup (CPU and pids limits, and accounting for
   * the kubelet); later ones share it. The memory limit is each task's own (cgroup.ts says why).
   * A node's server joins no task's cgroup.
   */
  #joinCgroup(cgroupsPath: string | undefined, resources: LinuxResources | undefined, log: Logger): TaskCgroup | undefined {
    if (!cgroupsPath) return undefined;
    if (this.#deps.sharedServer) {
      log.info('Wasm task in the node\'s shared server: its cgroup is not joined', { cgroup: cgroupsPath });
      return undefined;
    }
    if (this.#joined) {
      log.info('Wasm task shares the shim process and its cgroup', { cgroup: this.#joined.path });
      return undefined;
    }
    this.#joined = TaskCgroup.join(cgroupsPath, resources, log);
    return this.#joined;
  }
}
