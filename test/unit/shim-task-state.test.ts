import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskStateMachine, type TaskAction } from '../../shim/task-state.ts';
import { IllegalTransitionError } from '../../shim/errors.ts';

function after(history: TaskAction[]): TaskStateMachine {
  const m = new TaskStateMachine('t9');
  for (const step of history) m.move(step);
  return m;
}

test('the normal life: created -> running -> stopped -> deleting -> deleted', () => {
  const m = new TaskStateMachine('a');
  assert.equal(m.state, 'created');
  assert.equal(m.move('start'), 'running');
  assert.equal(m.move('exit'), 'stopped');
  assert.equal(m.move('delete'), 'deleting');
  assert.equal(m.move('deleted'), 'deleted');
});

test('kill: before start it stops the task; while running the task runs on until its exit', () => {
  assert.equal(after([]).move('kill'), 'stopped');
  const running = after(['start']);
  assert.equal(running.move('kill'), 'running');
  assert.equal(running.move('kill'), 'running', 'a second signal is as legal as the first');
  assert.equal(running.move('exit'), 'stopped');
  for (const history of [['start', 'exit'], ['kill'], ['delete'], ['start', 'exit', 'delete', 'deleted']] as TaskAction[][]) {
    assert.equal(after(history).can('kill'), false, `no kill after ${history.join(', ')}`);
  }
});

test('a failed delete rolls back to stopped, and the delete can be retried', () => {
  for (const history of [[], ['start', 'exit'], ['kill']] as TaskAction[][]) {
    const m = after(history);
    assert.equal(m.move('delete'), 'deleting');
    assert.equal(m.can('start'), false, 'nothing starts a task being deleted');
    assert.equal(m.can('delete'), false, 'and no second Delete runs alongside the first');
    assert.equal(m.move('delete-failed'), 'stopped');
    assert.equal(m.can('start'), false, 'a task whose Delete failed half way never starts');
    assert.equal(m.move('delete'), 'deleting');
    assert.equal(m.move('deleted'), 'deleted');
  }
});

test('illegal moves throw IllegalTransitionError naming the task, its state and the action, and change nothing', () => {
  const cases: [TaskAction[], TaskAction, string][] = [
    [['start'], 'start', 'running'],
    [['start'], 'delete', 'running'],
    [['start', 'exit'], 'start', 'stopped'],
    [['start', 'exit'], 'exit', 'stopped'],
    [['start', 'exit'], 'kill', 'stopped'],
    [[], 'exit', 'created'],
    [[], 'deleted', 'created'],
    [['delete'], 'start', 'deleting'],
    [['delete'], 'kill', 'deleting'],
    [['delete'], 'delete', 'deleting'],
    [['delete', 'deleted'], 'start', 'deleted'],
    [['delete', 'deleted'], 'delete', 'deleted'],
    [['delete', 'deleted'], 'delete-failed', 'deleted'],
  ];
  for (const [history, action, state] of cases) {
    const m = after(history);
    assert.equal(m.can(action), false);
    assert.throws(() => m.check(action), IllegalTransitionError);
    assert.throws(() => m.move(action), (e: unknown) =>
      e instanceof IllegalTransitionError && e.message === `task t9: cannot ${action} a task that is ${state}` && e.code === 'WASMBPF_SHIM_ILLEGAL_TRANSITION');
    assert.equal(m.state, state);
  }
});
