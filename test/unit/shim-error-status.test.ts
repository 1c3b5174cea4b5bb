import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTtrpcError, STATUS_OF_CODE } from '../../shim/error-status.ts';
import { ContainerdApiError } from '../../shim/containerd-api.ts';
import { ImageRefusedError, ModuleSourceError } from '../../container/errors.ts';
import { IllegalTransitionError, ShimError, notFound, notSupported, invalidArgument } from '../../shim/errors.ts';
import { Status, TtrpcConnectionError, TtrpcError, TtrpcTimeoutError } from '../../ttrpc/index.ts';
import { NoObjectForArchError } from '../../oci-spec/index.ts';
import { BpfError } from '../../runtime/bpf/errors.ts';
import { UsageError } from '../../cli/command.ts';

// One row per error the shim meets: what containerd must see.
const TABLE: [string, unknown, number, RegExp][] = [
  ['not found', notFound('task x'), Status.NotFound, /^task x: not found$/],
  ['not supported', notSupported('Pause'), Status.Unimplemented, /Pause is not supported by the wasmbpf runtime/],
  ['invalid argument', invalidArgument('bad flag'), Status.InvalidArgument, /^bad flag$/],
  ['illegal transition', new IllegalTransitionError('t1', 'running', 'delete'), Status.FailedPrecondition, /task t1: cannot delete a task that is running/],
  ['module source', new ModuleSourceError('image y has no Wasm module layer'), Status.FailedPrecondition, /image y has no Wasm module layer/],
  ['already exists', new ShimError('WASMBPF_SHIM_EXISTS', 'task z: already exists'), Status.AlreadyExists, /already exists/],
  ['internal', new ShimError('WASMBPF_SHIM_MOUNT', 'mount failed'), Status.Internal, /mount failed/],
  ['image refused', new ImageRefusedError('WASMBPF_SIGNATURE_WRONG_KEY', 'image x is refused'), Status.FailedPrecondition, /image x is refused/],
  ['containerd says not found', new ContainerdApiError(5, 'Images.Get', 'no such image'), Status.NotFound, /^containerd Images.Get: no such image$/],
  ['containerd unreachable', new ContainerdApiError(14, 'Content.Read', 'connection refused'), Status.Unavailable, /connection refused/],
  ['runc shim call timed out', new TtrpcTimeoutError('Task/Kill: no response within 10 ms'), Status.DeadlineExceeded, /no response/],
  ['runc shim connection lost', new TtrpcConnectionError('ttrpc connection closed'), Status.Unavailable, /connection closed/],
  ['typed lower-layer error', new NoObjectForArchError('x86_64', ['arm64']), Status.FailedPrecondition, /x86_64/],
  ['eBPF error', new BpfError('WASMBPF_BPF_LOAD', 'cannot load', 13), Status.FailedPrecondition, /cannot load: EACCES/],
  ['relayed ttrpc status', new TtrpcError(Status.NotFound, 'from runc'), Status.NotFound, /^from runc$/],
  ['a code the shim cannot meet (the CLI\'s)', new UsageError('no'), Status.Unknown, /^no$/],
  ['Node error with its own code', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), Status.Unknown, /ENOENT/],
  ['plain Error', new Error('boom'), Status.Unknown, /^boom$/],
  ['non-Error', 'weird', Status.Unknown, /^weird$/],
];

for (const [name, error, status, message] of TABLE) {
  test(`error -> ttrpc status: ${name}`, () => {
    const converted = toTtrpcError(error);
    assert.ok(converted instanceof TtrpcError);
    assert.equal(converted.status, status);
    assert.match(converted.message, message);
    if (!(error instanceof TtrpcError)) assert.equal(converted.cause, error);
  });
}

test('every status in the table is a google.rpc code other than OK and Unknown', () => {
  const allowed = new Set<number>(Object.values(Status).filter((s) => s !== Status.OK && s !== Status.Unknown));
  for (const [code, status] of Object.entries(STATUS_OF_CODE)) assert.ok(allowed.has(status), `${code} -> ${status}`);
});
