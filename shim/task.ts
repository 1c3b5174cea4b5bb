// One container as the Task service sees it, whatever runs it: a Wasm module in a thread of this
// process (wasm-task.ts), or a container relayed to containerd's runc shim (runc-task.ts). The
// service treats both alike for every RPC: look the task up, call it, publish what its reply
// says happened (task-service.ts). Each task guards its own moves, as runwasi's InstanceData
// and containerd's runc process do: a Wasm task's state table is task-state.ts; a relayed
// task's is the runc shim's, which also tells containerd about that task itself.
import type { CloseIORequest, KillRequest, ResizePtyRequest, TaskIdRequest, UpdateTaskRequest } from './protos.ts';

/** How a task's process ended, as containerd hears it (Wait, Delete, /tasks/exit). */
export interface TaskExit {
  status: number;
  at: Date;
}

/** An exit as the service publishes it: out of its memory limit, /tasks/oom goes first. */
export interface ExitReport extends TaskExit {
  pid: number;
  outOfMemory: boolean;
}

/** A request as containerd sent it: decoded, and its bytes (a relayed task passes them on untouched). */
export interface Call<Request> {
  readonly request: Request;
  readonly payload: Uint8Array;
}

/**
 * A task's answer to one RPC. `lifecycle` is what this server tells containerd about it (the
 * task's pid, and on Delete its exit); a relayed task has none, since the runc shim it is relayed
 * to publishes that task's events itself.
 */
export interface Reply {
  response: Uint8Array;
  lifecycle?: { pid: number; exit?: TaskExit };
}

/** The RPCs a task may not support (a Wasm task supports none of them). */
export type OptionalMethod = 'Pause' | 'Resume' | 'Checkpoint' | 'Exec';

export interface Task {
  readonly id: string;
  start(call: Call<TaskIdRequest>): Promise<Reply>;
  state(call: Call<TaskIdRequest>): Promise<Reply>;
  wait(call: Call<TaskIdRequest>): Promise<Reply>;
  kill(call: Call<KillRequest>): Promise<Reply>;
  /** A Delete with an exec id removes that process alone; the task stays. */
  delete(call: Call<TaskIdRequest>): Promise<Reply>;
  pids(call: Call<{ id: string }>): Promise<Reply>;
  stats(call: Call<{ id: string }>): Promise<Reply>;
  closeIO(call: Call<CloseIORequest>): Promise<Reply>;
  update(call: Call<UpdateTaskRequest>): Promise<Reply>;
  resizePty(call: Call<ResizePtyRequest>): Promise<Reply>;
  connect(call: Call<{ id: string }>): Promise<Reply>;
  optional(method: OptionalMethod, call: Call<{ id: string }>): Promise<Reply>;
}

/** The shim API version Connect answers. */
export const SHIM_API_VERSION = '1';
