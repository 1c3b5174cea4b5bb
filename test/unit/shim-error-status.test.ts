import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTtrpcError, STATUS_OF_KIND } from '../../shim/error-status.ts';
import { ModuleSourceError } from '../../container/errors.ts';
import { IllegalTransitionError, ShimError, notFound, notSupported, invalidArgument } from '../../shim/errors.ts';
import { Status, TtrpcError } from '../../ttrpc/index.ts';
import { NoObjectForArchError } from '../../oci-spec/index.ts';

// One row per error the shim produces: what containerd must see.
const TABLE: [string, unknown, number, RegExp][] = [
  ['not found', notFound('task x'), Status.NotFound, /^task x: not found$/],
  ['not supported', notSupported('Pause'), Status.Unimplemented, /Pause is not supported by the wasmbpf runtime/],
  ['invalid argument', invalidArgument('bad flag'), Status.InvalidArgument, /^bad flag$/],
  ['illegal transition', new IllegalTransitionError('t1', 'running', 'delete'), Status.FailedPrecondition, /task t1: cannot delete a task that is running/],
  ['module source', new ModuleSourceError('image y has no Wasm module layer'), Status.FailedPrecondition, /image y has no Wasm module layer/],
  ['already exists', new ShimError('already-exists', 'WASMBPF_SHIM_EXISTS', 'task z: already exists'), Status.AlreadyExists, /already exists/],
  ['unavailable', new ShimError('unavailable', 'WASMBPF_SHIM_CONTAINERD_API', 'containerd down'), Status.Unavailable, /containerd down/],
  ['deadline', new ShimError('deadline', 'WASMBPF_SHIM_X', 'slow'), Status.DeadlineExceeded, /slow/],
  ['internal', new ShimError('internal', 'WASMBPF_SHIM_MOUNT', 'mount failed'), Status.Internal, /mount failed/],
  ['typed lower-layer error', new NoObjectForArchError('x86_64', ['arm64']), Status.FailedPrecondition, /x86_64/],
  ['relayed ttrpc status', new TtrpcError(Status.NotFound, 'from runc'), Status.NotFound, /^from runc$/],
  ['plain Error', new Error('boom'), Status.Unknown, /^boom$/],
  ['non-Error', 'weird', Status.Unknown, /^weird$/],
];

for (const [name, error, status, message] of TABLE) {
  test(`error -> ttrpc status: ${name}`, () => {
    const converted = toTtrpcError(error);
    assert.ok(converted instanceof TtrpcError);
    assert.equal(converted.status, status);
    assert.match(converted.message, message);
  });
}

test('every ShimError kind has a status', () => {
  for (const [kind, status] of Object.entries(STATUS_OF_KIND)) {
    assert.equal(toTtrpcError(new ShimError(kind as keyof typeof STATUS_OF_KIND, 'WASMBPF_X', 'm')).status, status);
  }
});
