// The one table of kernel map types (runtime/bpf/map-types.ts) that the policy, `wasmbpf run
// --stats` and the shim's metrics name maps by.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapTypeName, valueBufferSize } from '../../runtime/bpf/map-types.ts';

test('map types are named as enum bpf_map_type numbers them', () => {
  assert.equal(mapTypeName(4), 'perf_event_array');
  assert.equal(mapTypeName(22), 'queue');
  assert.equal(mapTypeName(25), 'devmap_hash');
  assert.equal(mapTypeName(26), 'struct_ops');
  assert.equal(mapTypeName(27), 'ringbuf');
  assert.equal(mapTypeName(999), undefined, 'a number the table does not know has no name');
});

test('per-CPU values take one 8-byte-aligned slot per possible CPU', () => {
  assert.equal(valueBufferSize(6 /* percpu_array */, 12, 4), 64);
  assert.equal(valueBufferSize(2 /* array */, 12, 4), 12);
});
