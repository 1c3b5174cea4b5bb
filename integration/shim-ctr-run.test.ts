// The shim under a real containerd (Debian's 1.6, private instance), driven by ctr as a user
// would: the task lifecycle through ctr task and ctr events, exit statuses, traps, and
// runwasi-style images whose rootfs holds the module. (Every example's eBPF events under `ctr
// run`: examples-ctr.test.ts.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { probeImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const run = (ctd: Containerd, ...args: string[]) => ['run', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args];

test('ctr run -d, task ls RUNNING, kill, STOPPED with its status, delete; ctr events saw each step', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const events = spawn('ctr', ['--address', ctd.socket, '--namespace', ctd.namespace, 'events']);
  let seen = '';
  events.stdout.on('data', (c: Buffer) => (seen += c.toString()));
  t.after(async () => {
    events.kill();
  });
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  await ctd.ctrOk(run(ctd, '-d', 'localhost/wasmbpf-test/probe:v1', 'life1', '/probe.wasm', 'sleep'));
  const row = (await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => l.startsWith('life1 '));
  assert.match(row ?? '', /^life1\s+\d+\s+RUNNING/);
  const metrics = await ctd.ctrOk(['task', 'metrics', 'life1']);
  assert.match(metrics, /memory\.usage_in_bytes\s+\d+|memory\.usage\s+\d+/, metrics);
  await ctd.ctrOk(['task', 'kill', 'life1']); // SIGTERM
  const stopped = await waitFor('STOPPED', async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => /^life1\s.*STOPPED/.test(l)));
  assert.match(stopped, /STOPPED/);
  const info = await ctd.ctr(['task', 'ps', 'life1']);
  assert.equal(info.code, 0, info.stderr);
  // the exit status is kept until delete: `task delete` prints it
  const deleted = await ctd.ctr(['task', 'delete', 'life1']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stderr, /task life1 exit with non-zero exit code 143/); // 128 + SIGTERM
  assert.equal((await ctd.ctr(['task', 'ls'])).stdout.includes('life1'), false);
  await ctd.ctrOk(['containers', 'delete', 'life1']);
  await waitFor('every task event', () => ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete'].every((topic) => seen.includes(topic)) || undefined);
  const exitLine = seen.split('\n').find((l) => l.includes('/tasks/exit'));
  assert.match(exitLine ?? '', /"exit_status":143|exit_status:143/);
  const order = ['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete'].map((topic) => seen.indexOf(topic));
  assert.deepEqual([...order].sort((a, b) => a - b), order, seen);
});

test('exit 3 gives status 3; a trap gives a non-zero status and its error on stderr; overlay and bind rootfs', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  const three = await ctd.ctr(run(ctd, '--rm', 'localhost/wasmbpf-test/probe:v1', 'exit3', '/probe.wasm', 'exit', '3'));
  assert.equal(three.code, 3, three.stderr);
  assert.match(three.stdout, /probe argc=3 \[\/probe.wasm\] \[exit\] \[3\]/);
  const trap = await ctd.ctr(run(ctd, '--rm', 'localhost/wasmbpf-test/probe:v1', 'trap1', '/probe.wasm', 'trap'));
  assert.notEqual(trap.code, 0);
  assert.match(trap.stderr, /unreachable|trap/i);
  // the native snapshotter hands the rootfs over as a bind mount instead of overlay
  await ctd.ctrOk(['images', 'import', '--snapshotter', 'native', probeImage('localhost/wasmbpf-test/probe:v1')]);
  const bind = await ctd.ctr(run(ctd, '--rm', '--snapshotter', 'native', 'localhost/wasmbpf-test/probe:v1', 'bind1', '/probe.wasm', 'exit', '4'));
  assert.equal(bind.code, 4, bind.stderr);
  const plain = await ctd.ctr(run(ctd, '--rm', 'localhost/wasmbpf-test/probe:v1', 'plain1'));
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /probe argc=1 \[\/probe.wasm\]/);
  assert.match(plain.stderr, /probe stderr line/);
});

test('a pod-grouped server joins the spec\'s cgroup with its CPU limit, never its memory limit (that is the task\'s own), and the cgroup goes with the task', root.options, async (t) => {
  const ctd = await Containerd.startFor(t, { shimConfig: '[shim]\ngrouping = "pod"\n' });
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  await ctd.ctrOk(run(ctd, '-d', '--memory-limit', String(512 << 20), '--cpu-shares', '512', 'localhost/wasmbpf-test/probe:v1', 'cg1', '/probe.wasm', 'sleep'));
  const [pid] = shimPids(ctd.socket);
  assert.ok(pid);
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const cgroupOf = (controller: RegExp) => readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => controller.test(l))?.split(':')[2] ?? '';
  const cpuPath = cgroupOf(v2 ? /^0::/ : /:cpu,cpuacct:|:cpu:/);
  assert.match(cpuPath, new RegExp(`/${ctd.namespace}/cg1$`));
  const cpuDir = v2 ? `/sys/fs/cgroup${cpuPath}` : `/sys/fs/cgroup/cpu${cpuPath}`;
  assert.equal(readFileSync(`${cpuDir}/${v2 ? 'cpu.weight' : 'cpu.shares'}`, 'utf8').trim(), v2 ? '20' : '512');
  const memoryDir = v2 ? cpuDir : `/sys/fs/cgroup/memory${cgroupOf(/:memory:/)}`;
  const memoryLimit = readFileSync(`${memoryDir}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`, 'utf8').trim();
  assert.notEqual(memoryLimit, String(512 << 20), 'the memory limit is not put on the shared process');
  const metrics = await ctd.ctrOk(['task', 'metrics', 'cg1']);
  assert.match(metrics, /memory/);
  await ctd.ctrOk(['task', 'kill', '-s', 'SIGKILL', 'cg1']);
  await waitFor('cg1 stopped', async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => /^cg1\s.*STOPPED/.test(l)) || undefined);
  await ctd.ctrOk(['task', 'delete', 'cg1']);
  await ctd.ctrOk(['containers', 'delete', 'cg1']);
  assert.equal(existsSync(cpuDir), false, `${cpuDir} removed`);
});

test('a module writing to stdout nobody reads never blocks: SIGTERM and SIGKILL still end it at once', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    const id = `spam-${signal.toLowerCase()}`;
    // -d: ctr exits, so nothing reads the task's stdout FIFO any more
    await ctd.ctrOk(run(ctd, '-d', 'localhost/wasmbpf-test/probe:v1', id, '/probe.wasm', 'spam'));
    await sleep(1500); // far more than a pipe's 64 KiB written by now
    const started = Date.now();
    await ctd.ctrOk(['task', 'kill', '-s', signal, id]);
    await waitFor(`${id} stopped`, async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => l.startsWith(`${id} `) && l.includes('STOPPED')) || undefined, 10_000);
    assert.ok(Date.now() - started < 5000, `${signal} took ${Date.now() - started} ms`);
    await ctd.ctrOk(['task', 'delete', id]);
    await ctd.ctrOk(['containers', 'delete', id]);
  }
  await waitFor('the shims to exit', () => shimPids(ctd.socket).length === 0 || undefined);
  assert.match(ctd.log(), /module output dropped: nobody was reading/);
});
