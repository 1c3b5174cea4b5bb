// The lifecycle of one Wasm task as an explicit state table. Every RPC that changes a task asks
// here first; a move the table does not allow is an IllegalTransitionError (FailedPrecondition)
// naming the task, its state and the action, instead of a half-done operation.
//
//   created --start--> running --exit--> stopped --delete--> deleting --deleted--> deleted
//   created --kill--> stopped (killed before it ran)
//   running --kill--> running (the module is asked to stop; its exit moves it on)
//   created --delete--> deleting
//   deleting --delete-failed--> stopped (what Delete frees is freed again on a retry)
//
// The shape is runwasi's TaskState: a Delete that fails leaves the task stopped, so containerd
// can retry it, rather than half deleted with nobody able to finish the job.
import { IllegalTransitionError } from './errors.ts';

export type TaskState = 'created' | 'running' | 'stopped' | 'deleting' | 'deleted';
export type TaskAction = 'start' | 'kill' | 'exit' | 'delete' | 'deleted' | 'delete-failed';

const MOVES: Record<TaskState, Partial<Record<TaskAction, TaskState>>> = {
  created: { start: 'running', kill: 'stopped', delete: 'deleting' },
  running: { kill: 'running', exit: 'stopped' },
  stopped: { delete: 'deleting' },
  deleting: { deleted: 'deleted', 'delete-failed': 'stopped' },
  deleted: {},
};

export class TaskStateMachine {
  #state: TaskState = 'created';

  constructor(readonly id: string) {}

  get state(): TaskState {
    return this.#state;
  }

  can(action: TaskAction): boolean {
    return MOVES[this.#state][action] !== undefined;
  }

  /** Throws IllegalTransitionError unless the action is allowed now (check before side effects). */
  check(action: TaskAction): void {
    if (!this.can(action)) throw new IllegalTransitionError(this.id, this.#state, action);
  }

  /** Moves to the next state, or throws IllegalTransitionError and stays. */
  move(action: TaskAction): TaskState {
    const next = MOVES[this.#state][action];
    if (!next) throw new IllegalTransitionError(this.id, this.#state, action);
    this.#state = next;
    return next;
  }
}
