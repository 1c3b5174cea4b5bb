import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskStateMachine } from '../../shim/task-state.ts';
import { IllegalTransitionError } from '../../shim/errors.ts';

test('the normal life: created -> running -> stopped -> deleted', () => {
  const m = new TaskStateMachine('a');
  assert.equal(m.state, 'created');
  assert.equal(m.move('start'), 'running');
  assert.equal(m.move('exit'), 'stopped');
  assert.equal(m.move('delete'), 'deleted');
});

test('killed before start, and deleted before start', () => {
  const killed = new TaskStateMachine('k');
  assert.equal(killed.move('exit'), 'stopped');
  const deleted = new TaskStateMachine('d');
  assert.equal(deleted.move('delete'), 'deleted');
});

test('illegal moves throw IllegalTransitionError naming the task, its state and the action, and change nothing', () => {
  const cases: [string[], string, string][] = [
    [['start'], 'start', 'running'],
    [['start'], 'delete', 'running'],
    [['start', 'exit'], 'start', 'stopped'],
    [['start', 'exit'], 'exit', 'stopped'],
    [['delete'], 'start', 'deleted'],
    [['delete'], 'delete', 'deleted'],
  ];
  for (const [history, action, state] of cases) {
    const m = new TaskStateMachine('t9');
    for (const step of history) m.move(step as 'start');
    assert.equal(m.can(action as 'start'), false);
    assert.throws(() => m.move(action as 'start'), (e: unknown) =>
      e instanceof IllegalTransitionError && e.message === `task t9: cannot ${action} a task that is ${state}` && e.code === 'WASMBPF_SHIM_ILLEGAL_TRANSITION');
    assert.equal(m.state, state);
  }
});
