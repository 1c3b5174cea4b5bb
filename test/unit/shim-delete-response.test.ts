// The hand-encoded DeleteResponse of `delete` (shim/delete-response.ts) is byte for byte what
// the generated codec writes, for ordinary and edge values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeDeleteResponse } from '../../shim/delete-response.ts';
import { Task, timestamp } from '../../shim/protos.ts';

test('encodeDeleteResponse matches the generated containerd.task.v2.DeleteResponse codec', () => {
  const cases: [number, number, Date][] = [
    [4242, 137, new Date('2026-11-25T22:27:50.223Z')],
    [0, 137, new Date('2026-11-25T22:27:50.000Z')],
    [0, 0, new Date(0)],
    [2 ** 31, 255, new Date(2 ** 40)],
    [1, 1, new Date(999)],
  ];
  for (const [pid, exitStatus, at] of cases) {
    const expected = Task.DeleteResponse.encode({ pid, exitStatus, exitedAt: timestamp(at) });
    assert.deepEqual(Buffer.from(encodeDeleteResponse(pid, exitStatus, at)), Buffer.from(expected), `${pid} ${exitStatus} ${at.toISOString()}`);
    const decoded = Task.DeleteResponse.decode(encodeDeleteResponse(pid, exitStatus, at));
    assert.equal(decoded.pid, pid);
    assert.equal(decoded.exitStatus, exitStatus);
    assert.deepEqual(decoded.exitedAt, timestamp(at));
  }
});
