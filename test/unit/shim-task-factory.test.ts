// Create's preparation (shim/task-factory.ts): a step that fails undoes the steps before it, so
// nothing of the failed Create is left in this process or the bundle. No root: the rootfs is a
// plain directory and no cgroup is named (test/system/shim-task-factory.test.ts mounts and joins).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TaskFactory, type TaskFactoryDeps } from '../../shim/task-factory.ts';
import { WasmTask } from '../../shim/wasm-task.ts';
import { Task } from '../../shim/protos.ts';
import { createLogger } from '../../shim/log.ts';
import type { CreateTaskRequest } from '../../shim/protos.ts';
import type { RuncDelegates } from '../../shim/runc-delegate.ts';
import type { ContainerdApi } from '../../shim/containerd-api.ts';

const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A bundle with a rootfs module, and the three stdio FIFOs containerd would make. */
function bundleWithFifos(t: { after(fn: () => unknown): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimfactory-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'rootfs', 'tool.wasm'), WASM);
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['/tool.wasm'], cwd: '/' }, root: { path: 'rootfs' } }));
  const fifos = ['stdin', 'stdout', 'stderr'].map((name) => path.join(dir, name));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  const [stdin, stdout, stderr] = fifos as [string, string, string];
  return { bundle, fifos, stdio: { stdin, stdout, stderr } };
}

/** What this process's fds point at, among the given paths or the relays' private FIFOs. */
function openFifos(fifos: string[]): string[] {
  const open: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd of readdir itself, closed by now
    }
    if (fifos.includes(target) || /wasmbpf-io-/.test(target)) open.push(target);
  }
  return open;
}

function factory(overrides: Partial<TaskFactoryDeps> = {}) {
  const logEvents: string[] = [];
  const deps: TaskFactoryDeps = {
    log: createLogger(() => {}),
    logs: { open: (id) => void logEvents.push(`open ${id}`), close: (id) => void logEvents.push(`close ${id}`) },
    delegates: {} as RuncDelegates,
    api: () => { throw new Error('the content store is not needed for rootfs modules') as unknown as ContainerdApi; },
    startModule: () => { throw new Error('nothing starts here'); },
    compileModule: async () => undefined,
    hostArch: 'x86_64',
    nodeConfig: '/nonexistent/wasmbpf-shim.toml',
    ...overrides,
  };
  return { factory: new TaskFactory(deps), logEvents };
}

const createCall = (request: Partial<CreateTaskRequest>) => {
  const payload = Task.CreateTaskRequest.encode(request);
  return { request: Task.CreateTaskRequest.decode(payload), payload };
};

test('the last step failing (the pid file) undoes the ones before: no FIFO left open, the task log closed', async (t) => {
  const { bundle, fifos, stdio } = bundleWithFifos(t);
  const { factory: f, logEvents } = factory();
  fs.mkdirSync(path.join(bundle, 'init.pid')); // a directory: writing the pid file fails
  assert.deepEqual(openFifos(fifos), []);
  await assert.rejects(f.create(createCall({ id: 'p1', bundle, ...stdio }), () => {}), /EISDIR/);
  assert.deepEqual(openFifos(fifos), [], 'stdin, the stdout and stderr relays and their private FIFOs are all closed');
  assert.deepEqual(logEvents, ['open p1', 'close p1']);

  // Nothing of the first attempt is in the way of the next one.
  fs.rmdirSync(path.join(bundle, 'init.pid'));
  const { task } = await f.create(createCall({ id: 'p1', bundle, ...stdio }), () => {});
  assert.ok(task instanceof WasmTask);
  assert.equal(fs.readFileSync(path.join(bundle, 'init.pid'), 'utf8'), `${process.pid}`);
  assert.equal(openFifos(fifos).filter((p) => fifos.includes(p)).length, 3, 'the task holds its three FIFOs');
  await task.delete({ request: { id: 'p1', execId: '' }, payload: new Uint8Array() });
  assert.deepEqual(openFifos(fifos), [], 'and its Delete closes them');
  assert.deepEqual(logEvents, ['open p1', 'close p1', 'open p1', 'close p1']);
  assert.ok(fs.existsSync(path.join(bundle, 'init.pid')), 'the pid file outlives the task, for `delete`');
});

test('a module that does not compile: nothing was opened for it, the task log is closed, no pid file', async (t) => {
  const { bundle, fifos, stdio } = bundleWithFifos(t);
  const { factory: f, logEvents } = factory({ compileModule: async () => { throw new WebAssembly.CompileError('bad section'); } });
  await assert.rejects(f.create(createCall({ id: 'c1', bundle, ...stdio }), () => {}), /cannot run: it is not valid Wasm: bad section/);
  assert.deepEqual(openFifos(fifos), []);
  assert.deepEqual(logEvents, ['open c1', 'close c1']);
  assert.equal(fs.existsSync(path.join(bundle, 'init.pid')), false);
});

test('stdio that cannot be opened: the steps before are undone, the ones after never ran', async (t) => {
  const { bundle, fifos, stdio } = bundleWithFifos(t);
  const { factory: f, logEvents } = factory();
  const missing = path.join(path.dirname(bundle), 'no-such-fifo');
  await assert.rejects(f.create(createCall({ id: 's1', bundle, ...stdio, stderr: missing }), () => {}), /cannot open the task's stderr/);
  assert.deepEqual(openFifos(fifos), [], 'stdin and stdout, opened before stderr failed, are closed');
  assert.deepEqual(logEvents, ['open s1', 'close s1']);
  assert.equal(fs.existsSync(path.join(bundle, 'init.pid')), false);
});
