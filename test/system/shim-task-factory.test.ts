// Create's preparation with a real rootfs mount (root): a Create that fails after the mount leaves
// nothing mounted; a task's Delete unmounts what its Create mounted. The unit test
// (test/unit/shim-task-factory.test.ts) covers the FIFOs and the task log without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TaskFactory } from '../../shim/task-factory.ts';
import { isMountPoint } from '../../shim/bundle.ts';
import { Task } from '../../shim/protos.ts';
import { createLogger } from '../../shim/log.ts';
import type { RuncDelegates } from '../../shim/runc-delegate.ts';
import type { ContainerdApi } from '../../shim/containerd-api.ts';
import { rootOnly } from '../helpers/root.ts';
import type { Cleanup } from '../helpers/cleanup.ts';

const root = rootOnly('mounts a rootfs');

const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function bundleWithBindRootfs(t: Cleanup) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimfactory-mount-'));
  const bundle = path.join(dir, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  const image = path.join(dir, 'image');
  fs.mkdirSync(rootfs, { recursive: true });
  fs.mkdirSync(image);
  fs.writeFileSync(path.join(image, 'tool.wasm'), WASM);
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['/tool.wasm'], cwd: '/' }, root: { path: 'rootfs' } }));
  t.after(() => {
    assert.equal(isMountPoint(rootfs), false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const payload = Task.CreateTaskRequest.encode({ id: 'm1', bundle, rootfs: [{ type: 'bind', source: image, target: '', options: ['rbind', 'ro'] }] });
  return { bundle, rootfs, call: { request: Task.CreateTaskRequest.decode(payload), payload } };
}

function factory(compileModule: () => Promise<unknown> = async () => undefined) {
  return new TaskFactory({
    log: createLogger(() => {}),
    delegates: {} as RuncDelegates,
    api: () => { throw new Error('the content store is not needed for rootfs modules') as unknown as ContainerdApi; },
    startModule: () => { throw new Error('nothing starts here'); },
    compileModule,
    hostArch: 'x86_64',
    nodeConfig: '/nonexistent/wasmbpf-shim.toml',
  });
}

test('a module that does not compile: the rootfs mounted for it (where the module was found) is unmounted', root.options, async (t) => {
  const { rootfs, call } = bundleWithBindRootfs(t);
  let mountedWhenCompiled = false;
  const f = factory(async () => {
    mountedWhenCompiled = isMountPoint(rootfs);
    throw new WebAssembly.CompileError('bad section');
  });
  await assert.rejects(f.create(call, () => {}), /not valid Wasm/);
  assert.ok(mountedWhenCompiled, 'the module was read from the mounted rootfs');
  assert.equal(isMountPoint(rootfs), false);
});

test('the pid file cannot be written: the rootfs is unmounted; once it can, the task keeps the mount until its Delete', root.options, async (t) => {
  const { bundle, rootfs, call } = bundleWithBindRootfs(t);
  const f = factory();
  fs.mkdirSync(path.join(bundle, 'init.pid'));
  await assert.rejects(f.create(call, () => {}), /EISDIR/);
  assert.equal(isMountPoint(rootfs), false);

  fs.rmdirSync(path.join(bundle, 'init.pid'));
  const { task } = await f.create(call, () => {});
  assert.equal(isMountPoint(rootfs), true);
  await task.delete({ request: { id: 'm1', execId: '' }, payload: new Uint8Array() });
  assert.equal(isMountPoint(rootfs), false);
});
