import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interruptHandler, REPEAT_WINDOW_MS, type InterruptAction } from '../../cli/interrupts.ts';

test('SIGINTs within the repeat window of the first are one interrupt; a later one escalates to SIGKILL', () => {
  let clock = 1000;
  const acts: InterruptAction[] = [];
  const onSigint = interruptHandler((a) => acts.push(a), () => clock);
  onSigint(); // timeout -s INT: to the child ...
  clock += 1;
  onSigint(); // ... then to its group
  clock += REPEAT_WINDOW_MS - 10;
  onSigint();
  assert.deepEqual(acts, ['SIGINT']);
  clock += 20; // a person pressing Ctrl-C again
  onSigint();
  assert.deepEqual(acts, ['SIGINT', 'SIGKILL']);
});
