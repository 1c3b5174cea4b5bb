import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generatedJson } from '../../shim/proto/generate.ts';
import { Events, Task } from '../../shim/protos.ts';
import { ShimError } from '../../shim/errors.ts';
import { toTtrpcError } from '../../shim/error-status.ts';
import { Status } from '../../ttrpc/index.ts';

test('shim/proto/containerd.json is what generate.ts makes from the vendored protos', () => {
  const committed = readFileSync(new URL('../../shim/proto/containerd.json', import.meta.url), 'utf8');
  assert.equal(committed, generatedJson(), 'stale: run scripts/node --import tsx shim/proto/generate.ts');
});

test('CreateTaskRequest decodes the fields containerd sends (numbers from shim.proto)', () => {
  // hand-encoded: 1 id "c1", 2 bundle "/b", 3 rootfs {1 type "bind", 2 source "/s", 4 options ["rbind"]}, 4 terminal false, 6 stdout "/o"
  const bytes = Buffer.from([
    0x0a, 2, 0x63, 0x31,
    0x12, 2, 0x2f, 0x62,
    0x1a, 17, 0x0a, 4, ...Buffer.from('bind'), 0x12, 2, ...Buffer.from('/s'), 0x22, 5, ...Buffer.from('rbind'),
    0x32, 2, 0x2f, 0x6f,
  ]);
  const req = Task.CreateTaskRequest.decode(bytes);
  assert.equal(req.id, 'c1');
  assert.equal(req.bundle, '/b');
  assert.deepEqual(req.rootfs.map((m) => ({ ...m })), [{ type: 'bind', source: '/s', target: '', options: ['rbind'] }]);
  assert.equal(req.stdout, '/o');
  assert.equal(req.options, null);
});

test('TaskExit round-trips with its timestamp and status', () => {
  const back = Events.TaskExit.decode(Events.TaskExit.encode({ containerId: 'c', id: 'c', pid: 7, exitStatus: 137, exitedAt: { seconds: 1700000000, nanos: 5 } }));
  assert.deepEqual({ ...back, exitedAt: { ...back.exitedAt } }, { containerId: 'c', id: 'c', pid: 7, exitStatus: 137, exitedAt: { seconds: 1700000000, nanos: 5 } });
  assert.equal(Events.TaskExit.typeName, 'containerd.events.TaskExit');
});

test('a malformed request decodes to an InvalidArgument error naming the message type', () => {
  const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]); // field 1, length past the end
  let caught: unknown;
  try {
    Task.CreateTaskRequest.decode(garbage);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ShimError && caught.code === 'WASMBPF_SHIM_INVALID_ARGUMENT', String(caught));
  assert.match((caught as Error).message, /malformed containerd\.task\.v2\.CreateTaskRequest/);
  assert.equal(toTtrpcError(caught).status, Status.InvalidArgument);
});
