import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readNodeLimits, taskMemoryLimit } from '../../container/node-policy.ts';
import { ContainerError } from '../../container/errors.ts';

const MiB = 1024 * 1024;

function tempFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimlim-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'shim.toml'), text);
  return path.join(dir, 'shim.toml');
}

test('the node memory limit: [limits] memory-limit, else the runtime default (256 MiB)', (t) => {
  assert.deepEqual(readNodeLimits(undefined), { memoryLimit: 256 * MiB });
  assert.deepEqual(readNodeLimits(tempFile(t, '[policy]\nallowed-map-types = ["ringbuf"]\n')), { memoryLimit: 256 * MiB });
  assert.deepEqual(readNodeLimits(tempFile(t, '[limits]\nmemory-limit = "1Gi"\n')), { memoryLimit: 1024 * MiB });
  assert.deepEqual(readNodeLimits(tempFile(t, '[limits]\nmemory-limit = 33554432\n')), { memoryLimit: 32 * MiB });
  const bad = tempFile(t, '[limits]\nmemory-limit = "lots"\n');
  assert.throws(() => readNodeLimits(bad), (e: unknown) => e instanceof ContainerError && e.code === 'WASMBPF_SHIM_INVALID_ARGUMENT' && /limits\.memory-limit: 'lots' is not a size/.test(e.message));
});

test('an annotation narrows the node memory limit and never widens it; the container over the image', () => {
  const node = { memoryLimit: 256 * MiB };
  assert.equal(taskMemoryLimit(undefined, undefined, node), 256 * MiB);
  assert.equal(taskMemoryLimit({ 'wasmbpf.io/memory-limit': '64Mi' }, undefined, node), 64 * MiB);
  assert.equal(taskMemoryLimit(undefined, { 'wasmbpf.io/memory-limit': '32Mi' }, node), 32 * MiB);
  assert.equal(taskMemoryLimit({ 'wasmbpf.io/memory-limit': '64Mi' }, { 'wasmbpf.io/memory-limit': '32Mi' }, node), 64 * MiB);
  assert.equal(taskMemoryLimit({ 'wasmbpf.io/memory-limit': '4Gi' }, undefined, node), 256 * MiB);
  assert.throws(() => taskMemoryLimit({ 'wasmbpf.io/memory-limit': 'x' }, undefined, node), /annotation wasmbpf.io\/memory-limit: 'x' is not a size/);
});
