import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { DEFAULT_NODE_POLICY } from '../../runtime/policy.ts';
import { readNodePolicy, taskPolicy } from '../../container/node-policy.ts';
import { nodeConfigPath } from '../../shim/node-config.ts';
import { ContainerError } from '../../container/errors.ts';

function tempFile(t: { after(fn: () => void): void }, name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimpol-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

test('the node config comes from CRI runtime options (runtimeoptions.v1.Options config_path), else the default file', (t) => {
  const writer = protobuf.Writer.create();
  writer.uint32(10).string('runtimeoptions.v1.Options').uint32(18).string('/etc/x/shim.toml');
  const options = { type_url: 'runtimeoptions.v1.Options', value: writer.finish() };
  assert.equal(nodeConfigPath(options, '/nonexistent'), '/etc/x/shim.toml');
  const fallback = tempFile(t, 'shim.toml', '');
  assert.equal(nodeConfigPath(null, fallback), fallback);
  assert.equal(nodeConfigPath({ type_url: 'containerd.runc.v1.Options', value: new Uint8Array() }, '/nonexistent'), undefined);
});

test('the node policy file: lists read, bad files refuse the task', (t) => {
  const good = tempFile(t, 'good.toml', '[policy]\nallowed-program-types = ["tracepoint", "kprobe"]\nallowed-map-types = ["ringbuf"]\n');
  assert.deepEqual(readNodePolicy(good), { programTypes: ['tracepoint', 'kprobe'], mapTypes: ['ringbuf'],
    rules: { programTypes: `${good} [policy] allowed-program-types=tracepoint,kprobe`, mapTypes: `${good} [policy] allowed-map-types=ringbuf` } });
  assert.ok(!DEFAULT_NODE_POLICY.programTypes!.some((p) => ['xdp', 'tc', 'cgroup_skb', 'lsm', 'struct_ops'].includes(p)), 'the default ceiling observes, it does not steer packets or decisions');
  assert.deepEqual(readNodePolicy(undefined), DEFAULT_NODE_POLICY, 'no file: the default ceiling');
  const memoryOnly = tempFile(t, 'limits.toml', '[limits]\nmemory-limit = "64Mi"\n');
  assert.deepEqual(readNodePolicy(memoryOnly), DEFAULT_NODE_POLICY, 'a file without [policy]: the default ceiling');
  const open = tempFile(t, 'open.toml', '[policy]\nallowed-program-types = ["*"]\n');
  assert.deepEqual(readNodePolicy(open), { programTypes: ['*'], rules: { programTypes: `${open} [policy] allowed-program-types=*` } }, 'the admin lifts the default');
  const misspelt = tempFile(t, 'misspelt.toml', '[policy]\nallowed-programs = ["*"]\n');
  assert.throws(() => readNodePolicy(misspelt), /unknown key policy\.allowed-programs/);
  const typo = tempFile(t, 'typo.toml', '[policy\n');
  assert.throws(() => readNodePolicy(typo), (e: unknown) => e instanceof ContainerError && e.code === 'WASMBPF_SHIM_INVALID_ARGUMENT' && e.message.includes(typo));
  const wrong = tempFile(t, 'wrong.toml', '[policy]\nallowed-map-types = "ringbuf"\n');
  assert.throws(() => readNodePolicy(wrong), /policy\.allowed-map-types must be a list of strings/);
});

test('the container\'s annotations win over the image\'s; the node caps both', () => {
  const spec = { 'wasmbpf.io/allowed-program-types': 'tracepoint,kprobe,xdp' };
  const image = { 'wasmbpf.io/allowed-program-types': 'tracepoint' };
  assert.deepEqual(taskPolicy(spec, image, {}), { programTypes: ['tracepoint', 'kprobe', 'xdp'] });
  assert.deepEqual(taskPolicy({ other: 'x' }, image, {}), { programTypes: ['tracepoint'] });
  assert.deepEqual(taskPolicy(spec, image, { programTypes: ['tracepoint', 'kprobe'] }), { programTypes: ['tracepoint', 'kprobe'] });
  assert.deepEqual(taskPolicy(undefined, undefined, { mapTypes: ['ringbuf'] }), { mapTypes: ['ringbuf'] });
});
