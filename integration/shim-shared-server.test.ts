// One shim server for every plain Wasm container of a namespace (grouping "auto" or "node",
// shim/group.ts), on a real containerd: the containers share the server process, each task's
// memory limit ends that task alone (exit 137 and /tasks/oom, as runc's OOM kill reports) while
// the others run on, Stats are per task, the server stays warm for the next container within its
// idle timeout and exits after it, and a kill -9 of the server ends each of its tasks the way
// containerd ends a runc container whose shim died, with nothing left loaded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { execsnoopImage, probeImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { bpfObjects } from '../test/helpers/bpf-state.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';
import type { Cleanup } from '../test/helpers/cleanup.ts';

const root = rootOnly('runs containerd and its shims');

const PROBE = 'localhost/wasmbpf-test/probe:shared';
const EXECSNOOP = 'localhost/wasmbpf-test/execsnoop:shared';
const IDLE_S = 4;

async function setup(t: Cleanup) {
  const ctd = await Containerd.startFor(t, { shimConfig: `[shim]\nidle-timeout = "${IDLE_S}s"\n` });
  const events = spawn('ctr', ['--address', ctd.socket, '--namespace', ctd.namespace, 'events']);
  let seen = '';
  events.stdout.on('data', (c: Buffer) => (seen += c.toString()));
  t.after(() => void events.kill());
  await ctd.ctrOk(['images', 'import', probeImage(PROBE)]);
  await ctd.ctrOk(['images', 'import', execsnoopImage(EXECSNOOP)]);
  const runD = (...args: string[]) => ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args]);
  const tasks = async () => Object.fromEntries((await ctd.ctrOk(['task', 'ls'])).split('\n').slice(1).filter(Boolean).map((l) => {
    const [id, pid, status] = l.trim().split(/\s+/);
    return [id!, { pid: Number(pid), status: status! }];
  }));
  const event = (topic: string, id: string) => waitFor(`${topic} of ${id}`, () => seen.split('\n').find((l) => l.includes(topic) && l.includes(`"${id}"`)));
  return { ctd, runD, tasks, event, seen: () => seen };
}

test('plain containers share one server; a task past its memory limit ends alone with 137 and /tasks/oom; Stats are per task; the server stays warm, then idles out', root.options, async (t) => {
  const { ctd, runD, tasks, event, seen } = await setup(t);
  const before = bpfObjects('handle_exec', 'execsnoo');
  await runD(EXECSNOOP, 'sh-snoop');
  await runD(PROBE, 'sh-sleep', '/probe.wasm', 'sleep');
  await waitFor('execsnoop attached', () => bpfObjects('handle_exec', 'execsnoo').programs > before.programs || undefined);
  const [server, ...others] = shimPids(ctd.socket);
  assert.ok(server && others.length === 0, `one shim server for both containers, got ${[server, ...others].join(',')}`);
  assert.deepEqual(Object.values(await tasks()).map((x) => x.pid), [server, server]);

  // 64 MiB: the worker's heap is paid first, the rest is the module's memory; it grows past it.
  await runD('--memory-limit', String(64 << 20), PROBE, 'sh-oom', '/probe.wasm', 'grow');
  const exit = await event('/tasks/exit', 'sh-oom');
  assert.match(exit, /"exit_status":137/);
  const oom = await event('/tasks/oom', 'sh-oom');
  assert.ok(seen().indexOf(oom) < seen().indexOf(exit), '/tasks/oom comes before the exit, as runc\'s shim sends them');
  const afterOom = await tasks();
  assert.equal(afterOom['sh-oom']?.status, 'STOPPED');
  assert.equal(afterOom['sh-snoop']?.status, 'RUNNING', 'the other tasks run on');
  assert.equal(afterOom['sh-sleep']?.status, 'RUNNING');
  assert.deepEqual(shimPids(ctd.socket), [server], 'the server was not OOM-killed');

  // Stats are the task's own: a sleeping probe's thread CPU and its few MiB, not the server's ~100 MiB.
  const metrics = await ctd.ctrOk(['task', 'metrics', 'sh-sleep']);
  const usage = Number(/memory\.usage_in_bytes\s+(\d+)|memory\.usage\s+(\d+)/.exec(metrics)?.slice(1).find(Boolean));
  const serverRss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server}/status`, 'utf8'))![1]) * 1024;
  assert.ok(usage > 64 * 1024 && usage < serverRss / 2, `sh-sleep uses ${usage} bytes of the server's ${serverRss}:\n${metrics}`);

  await ctd.ctrOk(['task', 'kill', '-s', 'SIGKILL', 'sh-sleep']);
  assert.match(await event('/tasks/exit', 'sh-sleep'), /"exit_status":137/);
  assert.equal((await tasks())['sh-snoop']?.status, 'RUNNING', 'a task killed -9 takes no other with it');
  await ctd.ctrOk(['task', 'kill', '-s', 'SIGINT', 'sh-snoop']);
  assert.doesNotMatch(await event('/tasks/exit', 'sh-snoop'), /"exit_status"/, 'exit status 0 (protobuf JSON leaves out a zero)');
  for (const id of ['sh-oom', 'sh-sleep', 'sh-snoop']) {
    await ctd.ctrOk(['task', 'delete', id]);
    await ctd.ctrOk(['containers', 'delete', id]);
  }
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), before, 'nothing of execsnoop is left loaded');

  // Warm: the next container within the idle timeout joins the same server.
  const next = await ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, PROBE, 'sh-next', '/probe.wasm', 'exit', '0']);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(shimPids(ctd.socket), [server], 'the idle server took the next container');
  const idleSince = Date.now();
  await waitFor('the server to exit after its idle timeout', () => shimPids(ctd.socket).length === 0 || undefined, 30_000);
  assert.ok(Date.now() - idleSince >= (IDLE_S - 1) * 1000, `it waited its idle timeout (${Date.now() - idleSince} ms)`);
  // The task's lines reached containerd's log through its own bundle, though the server was
  // started in another task's (removed long before).
  assert.match(ctd.log(), /msg="created Wasm task".*id=sh-next/);
});

test('kill -9 of the shared server ends each of its tasks as containerd ends a runc task whose shim died: exit 137, gone, nothing loaded', root.options, async (t) => {
  const { ctd, runD, tasks, event } = await setup(t);
  const before = bpfObjects('handle_exec', 'execsnoo');
  await runD(EXECSNOOP, 'k9-snoop');
  await runD(PROBE, 'k9-sleep', '/probe.wasm', 'sleep');
  await waitFor('execsnoop attached', () => bpfObjects('handle_exec', 'execsnoo').programs > before.programs || undefined);
  const [server, ...others] = shimPids(ctd.socket);
  assert.ok(server && others.length === 0);
  const socket = readFileSync(`${ctd.state}/io.containerd.runtime.v2.task/${ctd.namespace}/k9-snoop/address`, 'utf8').replace('unix://', '');
  assert.ok(existsSync(socket));
  process.kill(server, 'SIGKILL');
  for (const id of ['k9-snoop', 'k9-sleep']) {
    const exit = await event('/tasks/exit', id);
    assert.match(exit, /"exit_status":137/);
    assert.match(exit, new RegExp(`"pid":${server}\\b`));
  }
  await waitFor('both tasks gone', async () => Object.keys(await tasks()).length === 0 || undefined);
  for (const id of ['k9-snoop', 'k9-sleep']) await ctd.ctrOk(['containers', 'delete', id]);
  await sleep(200);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.equal(existsSync(socket), false, 'the dead server\'s socket is removed');
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), before);
});
