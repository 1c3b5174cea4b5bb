import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { nodeConfigPath, readNodePolicy, taskPolicy } from '../../shim/node-policy.ts';
import { ShimError } from '../../shim/errors.ts';

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
  assert.deepEqual(readNodePolicy(good), { programTypes: ['tracepoint', 'kprobe'], mapTypes: ['ringbuf'] });
  assert.deepEqual(readNodePolicy(undefined), {});
  const typo = tempFile(t, 'typo.toml', '[policy\n');
  assert.throws(() => readNodePolicy(typo), (e: unknown) => e instanceof ShimError && e.kind === 'invalid-argument' && e.message.includes(typo));
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
