// The Task service end to end over a real ttrpc connection, with the module runner replaced by
// a controllable fake (the runtime has its own tests; this one is about the protocol, the state
// machine and the event order). No root: the bundle's rootfs is a plain directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TtrpcClient, TtrpcServer, TtrpcError, Status } from '../../ttrpc/index.ts';
import { TaskService, TASK_SERVICE } from '../../shim/task-service.ts';
import { Task, Events, TaskStatus } from '../../shim/protos.ts';
import { createLogger } from '../../shim/log.ts';
import { decodeMetrics } from '../../shim/task-metrics.ts';
import { DEFAULT_NODE_POLICY } from '../../runtime/policy.ts';
import type { EventSink, Topic } from '../../shim/events.ts';
import type { RuncDelegates } from '../../shim/runc-delegate.ts';
import type { ContainerdApi } from '../../shim/containerd-api.ts';
import type { BundleLogs } from '../../shim/log.ts';
import type { ExitStatus, ModuleSpec, RunningModule, StopSignal } from '../../runtime/contract.ts';

const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function fakeRuntime() {
  const started: ModuleSpec[] = [];
  const stops: StopSignal[] = [];
  let finish: ((s: ExitStatus) => void) | undefined;
  const startModule = (spec: ModuleSpec): RunningModule => {
    started.push(spec);
    const exited = new Promise<ExitStatus>((resolve) => (finish = resolve));
    return {
      threadId: 1,
      exited,
      stop(signal) {
        stops.push(signal);
        finish!({ code: signal === 'SIGKILL' ? 137 : 143, signal });
      },
      async usage() {
        return { cpuUserNs: 0, cpuSystemNs: 0, wasmMemoryBytes: 0, heapUsedBytes: 0, heapLimitBytes: 0 };
      },
      stats() {
        return { hostCalls: {}, buffers: [], programs: [], maps: [], kernelStats: false };
      },
      async [Symbol.asyncDispose]() {},
    };
  };
  return { startModule, started, stops, exit: (code: number, outOfMemory = false) => finish!({ code, ...(outOfMemory ? { outOfMemory } : {}) }) };
}

interface SetupOptions {
  logs?: Pick<BundleLogs, 'open' | 'close'>;
  delegates?: RuncDelegates;
  annotations?: Record<string, string>;
  compileModule?: (wasm: Uint8Array, memoryLimit: number) => Promise<unknown>;
}

async function setup(t: { after(fn: () => unknown): void }, options: SetupOptions = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimsvc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'rootfs', 'bin', 'tool.wasm'), WASM);
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['tool.wasm', '-v'], env: ['PATH=/bin', 'A=1'], cwd: '/' }, root: { path: 'rootfs' }, annotations: options.annotations ?? {} }));
  const events: { topic: Topic; type: string; payload: Uint8Array }[] = [];
  const sink: EventSink = { publish: (topic, type, payload) => void events.push({ topic, type, payload }), close: async () => {} };
  const runtime = fakeRuntime();
  let idle = 0;
  const delegates = options.delegates ?? ({ shutdown: async () => {} } as unknown as RuncDelegates);
  const service = new TaskService({
    events: sink,
    log: createLogger(() => {}),
    ...(options.logs ? { logs: options.logs } : {}),
    delegates,
    api: () => { throw new Error('the content store is not needed for rootfs modules') as unknown as ContainerdApi; },
    startModule: runtime.startModule,
    compileModule: options.compileModule ?? (async () => undefined),
    hostArch: 'x86_64',
    nodeConfig: '/nonexistent/wasmbpf-shim.toml',
    onIdle: () => void idle++,
  });
  const server = new TtrpcServer({ log: () => {} });
  server.register(TASK_SERVICE, service.handlers());
  const sock = path.join(dir, 's.sock');
  await server.listen(sock);
  const client = await TtrpcClient.connect(sock);
  t.after(async () => {
    client.destroy();
    server.destroy();
  });
  const call = (method: string, payload: Uint8Array) => client.call(TASK_SERVICE, method, payload);
  return { bundle, events, runtime, call, idle: () => idle, service };
}

const status = (code: number) => (e: unknown) => e instanceof TtrpcError && e.status === code;

test('create, start, state, kill, wait, delete, shutdown: states, statuses and event order', async (t) => {
  const { bundle, events, runtime, call, idle } = await setup(t);
  const created = Task.CreateTaskResponse.decode(await call('Create', Task.CreateTaskRequest.encode({ id: 't1', bundle })));
  assert.equal(created.pid, process.pid);
  await assert.rejects(call('Create', Task.CreateTaskRequest.encode({ id: 't1', bundle })), status(Status.AlreadyExists));
  let state = Task.StateResponse.decode(await call('State', Task.StateRequest.encode({ id: 't1' })));
  assert.equal(state.status, TaskStatus.Created);

  await call('Start', Task.StartRequest.encode({ id: 't1' }));
  assert.deepEqual(runtime.started[0]!.args, ['tool.wasm', '-v']);
  assert.deepEqual(runtime.started[0]!.env, ['PATH=/bin', 'A=1']);
  assert.deepEqual(Buffer.from(runtime.started[0]!.wasm), WASM);
  assert.deepEqual(runtime.started[0]!.policy, DEFAULT_NODE_POLICY, 'no annotations, no node config: the default ceiling');
  await assert.rejects(call('Start', Task.StartRequest.encode({ id: 't1' })), (e: unknown) => status(Status.FailedPrecondition)(e) && /cannot start a task that is running/.test((e as Error).message));
  await assert.rejects(call('Delete', Task.DeleteRequest.encode({ id: 't1' })), status(Status.FailedPrecondition));
  state = Task.StateResponse.decode(await call('State', Task.StateRequest.encode({ id: 't1' })));
  assert.equal(state.status, TaskStatus.Running);
  assert.deepEqual(Task.PidsResponse.decode(await call('Pids', Task.PidsRequest.encode({ id: 't1' }))).processes.map((p) => p.pid), [process.pid]);

  const stats = Task.StatsResponse.decode(await call('Stats', Task.StatsRequest.encode({ id: 't1' }))).stats!;
  assert.match(stats.type_url, /^io\.containerd\.cgroups\.v[12]\.Metrics$/);
  const metrics = decodeMetrics(stats) as { memory?: { usage?: unknown } };
  assert.ok(metrics.memory?.usage, 'memory usage is reported');

  const waiting = call('Wait', Task.WaitRequest.encode({ id: 't1' }));
  await assert.rejects(call('Kill', Task.KillRequest.encode({ id: 't1', signal: 10 })), status(Status.InvalidArgument));
  // What ctr forwards from a terminal or a shell (SIGWINCH, SIGCONT) leaves the task running.
  await call('Kill', Task.KillRequest.encode({ id: 't1', signal: 28 }));
  await call('Kill', Task.KillRequest.encode({ id: 't1', signal: 18 }));
  assert.deepEqual(runtime.stops, []);
  assert.equal(Task.StateResponse.decode(await call('State', Task.StateRequest.encode({ id: 't1' }))).status, TaskStatus.Running);
  await call('Kill', Task.KillRequest.encode({ id: 't1', signal: 15 }));
  assert.deepEqual(runtime.stops, ['SIGTERM']);
  assert.equal(Task.WaitResponse.decode(await waiting).exitStatus, 143);
  await assert.rejects(call('Kill', Task.KillRequest.encode({ id: 't1', signal: 9 })), status(Status.NotFound));
  state = Task.StateResponse.decode(await call('State', Task.StateRequest.encode({ id: 't1' })));
  assert.equal(state.status, TaskStatus.Stopped);
  assert.equal(state.exitStatus, 143); // kept until Delete

  await call('Shutdown', Task.ShutdownRequest.encode({ id: 't1' }));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle(), 0, 'a shim with a task left does not exit');
  const deleted = Task.DeleteResponse.decode(await call('Delete', Task.DeleteRequest.encode({ id: 't1' })));
  assert.equal(deleted.exitStatus, 143);
  await assert.rejects(call('State', Task.StateRequest.encode({ id: 't1' })), status(Status.NotFound));
  await call('Shutdown', Task.ShutdownRequest.encode({ id: 't1' }));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle(), 1);

  assert.deepEqual(events.map((e) => e.topic), ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
  assert.deepEqual(events.map((e) => e.type), ['containerd.events.TaskCreate', 'containerd.events.TaskStart', 'containerd.events.TaskExit', 'containerd.events.TaskDelete']);
  const exit = Events.TaskExit.decode(events[2]!.payload);
  assert.equal(exit.containerId, 't1');
  assert.equal(exit.exitStatus, 143);
});

test('a module that exits on its own; kill before start; unsupported calls answer clearly', async (t) => {
  const { bundle, events, runtime, call } = await setup(t);
  await call('Create', Task.CreateTaskRequest.encode({ id: 'a', bundle }));
  await call('Start', Task.StartRequest.encode({ id: 'a' }));
  runtime.exit(3);
  assert.equal(Task.WaitResponse.decode(await call('Wait', Task.WaitRequest.encode({ id: 'a' }))).exitStatus, 3);
  for (const method of ['Pause', 'Resume', 'Checkpoint', 'Exec']) {
    await assert.rejects(call(method, Task.IdOnly.encode({ id: 'a' })), (e: unknown) => status(Status.Unimplemented)(e) && /not supported by the wasmbpf runtime/.test((e as Error).message));
  }
  await call('Delete', Task.DeleteRequest.encode({ id: 'a' }));

  await call('Create', Task.CreateTaskRequest.encode({ id: 'b', bundle }));
  await call('Kill', Task.KillRequest.encode({ id: 'b', signal: 9 }));
  assert.equal(Task.WaitResponse.decode(await call('Wait', Task.WaitRequest.encode({ id: 'b' }))).exitStatus, 137);
  await assert.rejects(call('Start', Task.StartRequest.encode({ id: 'b' })), status(Status.FailedPrecondition));
  await call('Delete', Task.DeleteRequest.encode({ id: 'b' }));
  assert.deepEqual(events.filter((e) => e.payload && Events.TaskExit.typeName === e.type).map((e) => Events.TaskExit.decode(e.payload).exitStatus), [3, 137]);

  await assert.rejects(call('Create', Task.CreateTaskRequest.encode({ id: 'c', bundle, terminal: true })), (e: unknown) => status(Status.InvalidArgument)(e) && /terminal is not supported/.test((e as Error).message));
  await assert.rejects(call('Create', Task.CreateTaskRequest.encode({ id: 'd', bundle: path.join(bundle, 'nope') })), (e: unknown) => status(Status.InvalidArgument)(e) && /config\.json/.test((e as Error).message));
  await assert.rejects(call('Frobnicate', new Uint8Array()), status(Status.Unimplemented));
});

test('a task out of its memory limit: /tasks/oom just before its /tasks/exit, in the order containerd expects', async (t) => {
  const { bundle, events, runtime, call } = await setup(t);
  await call('Create', Task.CreateTaskRequest.encode({ id: 'm', bundle }));
  await call('Start', Task.StartRequest.encode({ id: 'm' }));
  runtime.exit(137, true);
  assert.equal(Task.WaitResponse.decode(await call('Wait', Task.WaitRequest.encode({ id: 'm' }))).exitStatus, 137);
  await call('Delete', Task.DeleteRequest.encode({ id: 'm' }));
  assert.deepEqual(events.map((e) => e.topic), ['/tasks/create', '/tasks/start', '/tasks/oom', '/tasks/exit', '/tasks/delete']);
  assert.equal(Events.TaskOOM.decode(events[2]!.payload).containerId, 'm');
  const deleted = Events.TaskDelete.decode(events[4]!.payload);
  assert.deepEqual([deleted.containerId, deleted.pid, deleted.exitStatus], ['m', process.pid, 137]);
});

test('a Delete that fails leaves the task stopped; the retry finishes it and only then is /tasks/delete sent', async (t) => {
  const closes: string[] = [];
  let failClose = true;
  const logs = {
    open: () => {},
    close: (id: string) => {
      closes.push(id);
      if (failClose) throw new Error('the log FIFO cannot be closed');
    },
  };
  const { bundle, events, runtime, call } = await setup(t, { logs });
  await call('Create', Task.CreateTaskRequest.encode({ id: 'r', bundle }));
  await call('Start', Task.StartRequest.encode({ id: 'r' }));
  runtime.exit(5);
  await call('Wait', Task.WaitRequest.encode({ id: 'r' }));
  await assert.rejects(call('Delete', Task.DeleteRequest.encode({ id: 'r' })), (e: unknown) => e instanceof TtrpcError && /cannot be closed/.test(e.message));
  const state = Task.StateResponse.decode(await call('State', Task.StateRequest.encode({ id: 'r' })));
  assert.deepEqual([state.status, state.exitStatus], [TaskStatus.Stopped, 5], 'rolled back to stopped, its exit kept');
  assert.equal(events.at(-1)!.topic, '/tasks/exit', 'no /tasks/delete for a Delete that failed');
  await assert.rejects(call('Start', Task.StartRequest.encode({ id: 'r' })), status(Status.FailedPrecondition));

  failClose = false;
  const deleted = Task.DeleteResponse.decode(await call('Delete', Task.DeleteRequest.encode({ id: 'r' })));
  assert.equal(deleted.exitStatus, 5);
  assert.deepEqual(closes, ['r', 'r'], 'the retry undid the step that had failed');
  assert.deepEqual(events.map((e) => e.topic), ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
  await assert.rejects(call('State', Task.StateRequest.encode({ id: 'r' })), status(Status.NotFound));
});

test('a container handed to runc: every RPC relayed as the bytes containerd sent, the runc shim\'s answer returned, no event of ours', async (t) => {
  const relayed: { address: string; method: string; payload: Uint8Array }[] = [];
  const started: string[] = [];
  const forgotten: string[] = [];
  const delegates = {
    start: async (id: string) => {
      started.push(id);
      return 'unix:///run/runc-shim.sock';
    },
    call: async (address: string, method: string, payload: Uint8Array) => {
      relayed.push({ address, method, payload });
      return Buffer.from(`runc ${method}`);
    },
    forget: (id: string) => void forgotten.push(id),
    shutdown: async () => {},
  } as unknown as RuncDelegates;
  const { bundle, events, call, service } = await setup(t, { delegates, annotations: { 'io.kubernetes.cri.container-type': 'sandbox' } });
  const options = { type_url: 'containerd.runhcs.v1.Options', value: Buffer.from([1, 2]) };
  const create = await call('Create', Task.CreateTaskRequest.encode({ id: 'pause', bundle, options }));
  assert.equal(Buffer.from(create).toString(), 'runc Create');
  assert.deepEqual(started, ['pause']);
  assert.equal(Task.CreateTaskRequest.decode(relayed[0]!.payload).options, null, 'our runtime options are not passed on');
  await assert.rejects(call('Create', Task.CreateTaskRequest.encode({ id: 'pause', bundle })), status(Status.AlreadyExists));

  const requests: [string, Uint8Array][] = [
    ['Start', Task.StartRequest.encode({ id: 'pause' })],
    ['State', Task.StateRequest.encode({ id: 'pause', execId: 'e1' })],
    ['Kill', Task.KillRequest.encode({ id: 'pause', signal: 10 })],
    ['Exec', Task.IdOnly.encode({ id: 'pause' })],
    ['Pause', Task.IdOnly.encode({ id: 'pause' })],
    ['Connect', Task.ConnectRequest.encode({ id: 'pause' })],
    ['Delete', Task.DeleteRequest.encode({ id: 'pause', execId: 'e1' })],
    ['Wait', Task.WaitRequest.encode({ id: 'pause' })],
  ];
  for (const [method, payload] of requests) {
    assert.equal(Buffer.from(await call(method, payload)).toString(), `runc ${method}`);
    assert.deepEqual(relayed.at(-1), { address: 'unix:///run/runc-shim.sock', method, payload: Buffer.from(payload) });
  }
  assert.equal(service.taskCount, 1, 'the Delete of an exec leaves the container');
  assert.deepEqual(forgotten, [], 'and its runc shim, which Shutdown therefore spares');

  await call('Delete', Task.DeleteRequest.encode({ id: 'pause' }));
  assert.equal(service.taskCount, 0);
  assert.deepEqual(forgotten, ['pause']);
  await assert.rejects(call('State', Task.StateRequest.encode({ id: 'pause' })), status(Status.NotFound));
  assert.deepEqual(events, [], 'the runc shim tells containerd about its container itself');
});

test('a Create the runc shim refuses: no task is kept, and its runc shim is not held for it', async (t) => {
  const forgotten: string[] = [];
  const delegates = {
    start: async () => 'unix:///run/runc-shim.sock',
    call: async () => { throw new TtrpcError(Status.InvalidArgument, 'runc: bad spec'); },
    forget: (id: string) => void forgotten.push(id),
    shutdown: async () => {},
  } as unknown as RuncDelegates;
  const { bundle, events, call, service } = await setup(t, { delegates, annotations: { 'io.kubernetes.cri.container-type': 'sandbox' } });
  await assert.rejects(call('Create', Task.CreateTaskRequest.encode({ id: 'pause', bundle })), (e: unknown) => status(Status.InvalidArgument)(e) && /runc: bad spec/.test((e as Error).message));
  assert.deepEqual(forgotten, ['pause']);
  assert.equal(service.taskCount, 0);
  await assert.rejects(call('State', Task.StateRequest.encode({ id: 'pause' })), status(Status.NotFound));
  assert.deepEqual(events, []);
});
