// The lifecycle of one task as an explicit state machine. Every RPC that changes a task asks
// here first; a move the table does not allow is an IllegalTransitionError (FailedPrecondition)
// naming the task, its state and the action, instead of a half-done operation.
//
//   created --start--> running --exit--> stopped --delete--> deleted
//   created --exit (killed before start)--> stopped
//   created --delete--> deleted
import { IllegalTransitionError } from './errors.ts';

export type TaskState = 'created' | 'running' | 'stopped' | 'deleted';
export type TaskAction = 'start' | 'exit' | 'delete';

const MOVES: Record<TaskState, Partial<Record<TaskAction, TaskState>>> = {
  created: { start: 'running', exit: 'stopped', delete: 'deleted' },
  running: { exit: 'stopped' },
  stopped: { delete: 'deleted' },
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
