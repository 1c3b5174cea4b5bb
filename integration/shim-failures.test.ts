// What goes wrong must fail clearly and leave nothing behind: a module that is not there, images
// that are broken or carry no eBPF object for this CPU, and a shim server killed with SIGKILL
// under a running eBPF tool, with containerd up or down (and restarted), alone or in a pod
// whose sandbox runs under runc. What containerd 1.6 reports is compared with runc's shim.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { groupOf, socketPath } from '../shim/start.ts';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { artifactImage } from '../test/helpers/ctr-image.ts';
import { FIXTURE_DIR, execsnoopImage, nativeImage, probeImage, probeWasm } from '../test/helpers/shim-images.ts';
import { WBSOAK_MAP_PREFIX, WBSOAK_PROGRAM, wbsoakImage } from '../test/helpers/wbsoak-image.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { bpfObjects } from '../test/helpers/bpf-state.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const WASM = 'application/vnd.wasm.content.layer.v1+wasm';
const OBJECT = 'application/vnd.wasmbpf.ebpf.object.v1+elf';

const run = (ctd: Containerd, ...args: string[]) => ['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args];

async function assertCleanFailure(ctd: Containerd, image: string, id: string, pattern: RegExp, ...args: string[]) {
  const result = await ctd.ctr(run(ctd, image, id, ...args));
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, pattern);
  await waitFor(`no shim left after ${id}`, () => shimPids(ctd.socket).length === 0 || undefined);
  await ctd.ctr(['containers', 'delete', id]);
  return result.stderr;
}

test('a missing module fails ctr run with a message naming it', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  await assertCleanFailure(ctd, 'localhost/wasmbpf-test/probe:v1', 'missing1',
    /module \/nothere\.wasm \(process\.args\[0\]\) is neither in the container's rootfs nor a Wasm layer of its image/, '/nothere.wasm');
});

test('bad images fail ctr run clearly: a module layer that is not Wasm, an eBPF layer without its architecture', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const notWasm = artifactImage('localhost/wasmbpf-test/notwasm:v1', join(FIXTURE_DIR, 'notwasm.tar'), {
    layers: [{ mediaType: WASM, bytes: Buffer.from('this is not a wasm module') }],
  });
  await ctd.ctrOk(['images', 'import', notWasm]);
  await assertCleanFailure(ctd, 'localhost/wasmbpf-test/notwasm:v1', 'bad1', /module layer of localhost\/wasmbpf-test\/notwasm:v1 is not a Wasm module/);

  const noArch = artifactImage('localhost/wasmbpf-test/noarch:v1', join(FIXTURE_DIR, 'noarch.tar'), {
    layers: [
      { mediaType: WASM, bytes: probeWasm() },
      { mediaType: OBJECT, bytes: Buffer.from('\x7fELF'), annotations: { 'org.wasmbpf.object.name': 'x.bpf.o' } },
    ],
  });
  await ctd.ctrOk(['images', 'import', noArch]);
  await assertCleanFailure(ctd, 'localhost/wasmbpf-test/noarch:v1', 'bad2', /lacks the org\.wasmbpf\.object\.arch annotation/);
});

test('an image without an eBPF object for this CPU fails ctr run naming the architectures', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const foreign = process.arch === 'arm64' ? 'x86_64' : 'arm64';
  const image = artifactImage('localhost/wasmbpf-test/foreign:v1', join(FIXTURE_DIR, 'foreign.tar'), {
    layers: [
      { mediaType: WASM, bytes: probeWasm() },
      { mediaType: OBJECT, bytes: Buffer.from('\x7fELF'), annotations: { 'org.wasmbpf.object.name': 'x.bpf.o', 'org.wasmbpf.object.arch': foreign } },
    ],
  });
  await ctd.ctrOk(['images', 'import', image]);
  const host = process.arch === 'arm64' ? 'arm64' : 'x86_64';
  await assertCleanFailure(ctd, 'localhost/wasmbpf-test/foreign:v1', 'foreign1',
    new RegExp(`no eBPF object for the host architecture ${host}; it has objects for ${foreign}`));
});

test('the eBPF policy in the container\'s annotations is enforced: execsnoop may not load a tracepoint', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', execsnoopImage('localhost/wasmbpf-test/execsnoop:shim')]);
  const result = await ctd.ctr(run(ctd, '--annotation', 'wasmbpf.io/allowed-program-types=kprobe', 'localhost/wasmbpf-test/execsnoop:shim', 'pol1'));
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /policy: program 'handle_exec' is of type 'tracepoint'.*wasmbpf\.io\/allowed-program-types=kprobe/);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});

test('kill -9 of the shim server: the task is removed with exit 137 and its pid, as with runc; nothing stays loaded', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const before = bpfObjects('handle_exec', 'execsnoo');
  const events = spawn('ctr', ['--address', ctd.socket, '--namespace', ctd.namespace, 'events']);
  let seen = '';
  events.stdout.on('data', (c: Buffer) => (seen += c.toString()));
  t.after(async () => {
    events.kill();
  });
  await ctd.ctrOk(['images', 'import', execsnoopImage('localhost/wasmbpf-test/execsnoop:shim')]);
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, 'localhost/wasmbpf-test/execsnoop:shim', 'k9']);
  await waitFor('execsnoop loaded', () => bpfObjects('handle_exec', 'execsnoo').programs > before.programs || undefined);
  const [pid, ...others] = shimPids(ctd.socket);
  assert.ok(pid && others.length === 0, `one shim server, got ${[pid, ...others].join(',')}`);
  assert.match((await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => l.startsWith('k9 ')) ?? '', new RegExp(`^k9\\s+${pid}\\s+RUNNING`));
  process.kill(pid, 'SIGKILL');
  // containerd notices the dropped connection, runs `containerd-shim-wasmbpf-v1 ... delete`,
  // publishes the exit and delete events with what it answered, and drops the task (1.6 does
  // exactly this for runc's shim too: the task is gone, not STOPPED)
  await waitFor('the cleanup run of the shim binary to end',
    () => (ctd.log().includes('cleaning up dead shim') && shimPids(ctd.socket).length === 0) || undefined);
  const exit = await waitFor('the exit event', () => seen.split('\n').find((l) => l.includes('/tasks/exit') && l.includes('"k9"')));
  assert.match(exit, /"exit_status":137/);
  assert.match(exit, new RegExp(`"pid":${pid}\\b`), 'the exit carries the task\'s pid, recorded in the bundle at Create');
  await waitFor('the delete event', () => seen.split('\n').find((l) => l.includes('/tasks/delete') && l.includes('"k9"')));
  await waitFor('the task gone from task ls', async () => !(await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => l.startsWith('k9 ')) || undefined);
  const deleted = await ctd.ctr(['task', 'delete', 'k9']);
  assert.match(deleted.stderr, /not found/);
  await ctd.ctrOk(['containers', 'delete', 'k9']);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.equal(existsSync(socketPath({ address: ctd.socket, namespace: ctd.namespace }, groupOf('k9', undefined, 'auto'))), false, 'the dead server\'s socket is removed');
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), before);
  assert.deepEqual(leftovers(ctd, 'k9'), { mounts: [], cgroups: [], state: false, processes: [] });
  assert.doesNotMatch(ctd.log(), /level=error.*k9.*(mount|umount)/);
});

/** What a task can leave behind: mounts of its rootfs, its cgroups, its state dir (bundle), processes with its id in argv. */
function leftovers(ctd: Containerd, id: string): { mounts: string[]; cgroups: string[]; state: boolean; processes: string[] } {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(ctd.dir) && m.includes(`/${id}/`));
  const root = '/sys/fs/cgroup';
  const hierarchies = existsSync(join(root, 'cgroup.controllers')) ? [root] : readdirSync(root).map((d) => join(root, d));
  const cgroups = hierarchies.map((h) => join(h, ctd.namespace, id)).filter((d) => existsSync(d));
  const state = existsSync(join(ctd.state, 'io.containerd.runtime.v2.task', ctd.namespace, id));
  const processes = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      return argv.includes(ctd.socket) && argv.includes(id) ? [`${e} ${argv.join(' ')}`] : [];
    } catch {
      return [];
    }
  });
  return { mounts, cgroups, state, processes };
}

/** Kills the given shim processes while containerd is frozen, then crashes and restarts containerd: it never saw them die. */
async function killShimsAcrossRestart(ctd: Containerd, pids: number[]): Promise<void> {
  process.kill(ctd.pid, 'SIGSTOP');
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await waitFor('the shims to die', () => pids.every((pid) => !existsSync(`/proc/${pid}`)) || undefined);
  process.kill(ctd.pid, 'SIGKILL');
  await ctd.restart();
}

const SOAK = 'localhost/wasmbpf-test/wbsoak:v1';
const NATIVE = 'localhost/wasmbpf-test/native:v1';

test('kill -9 of the shim server while containerd is down: after the restart the task is gone as runc\'s is, and nothing is left', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', wbsoakImage(SOAK)]);
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, SOAK, 'kr1']);
  // the same with runc, to compare what containerd makes of it
  await ctd.ctrOk(['run', '-d', '--runtime', 'io.containerd.runc.v2', '--fifo-dir', ctd.fifoDir, NATIVE, 'kr2', '/native', 'sleep']);
  await waitFor('the module attached', () => bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX).programs === 1 || undefined);
  const runcShim = leftovers(ctd, 'kr2').processes.map((p) => Number(p.split(' ')[0]));
  assert.equal(runcShim.length, 1, 'one runc shim');
  // runc's `delete` leaves the socket of a runc shim killed -9; this test killed it, so it removes it
  const runcSocket = readFileSync(join(ctd.state, 'io.containerd.runtime.v2.task', ctd.namespace, 'kr2', 'address'), 'utf8').trim().replace(/^unix:\/\//, '');
  t.after(() => rmSync(runcSocket, { force: true }));
  await killShimsAcrossRestart(ctd, [...shimPids(ctd.socket), ...runcShim]);

  // containerd finds both shims dead as it loads its tasks, runs each binary's `delete`, and
  // drops the tasks (it publishes no exit: the task was never loaded)
  const rows = (await ctd.ctrOk(['task', 'ls'])).split('\n');
  assert.ok(!rows.some((l) => /^kr[12]\s/.test(l)), rows.join('\n'));
  const ours = await ctd.ctr(['task', 'delete', 'kr1']);
  const runc = await ctd.ctr(['task', 'delete', 'kr2']);
  assert.equal(ours.code, runc.code);
  assert.equal(ours.stderr.replace(/.*level=error.*\n/, '').replace(/kr1/g, 'ID'), runc.stderr.replace(/.*level=error.*\n/, '').replace(/kr2/g, 'ID'));
  assert.match(ctd.log(), /cleaning up after shim disconnected.*id=kr1/);
  assert.doesNotMatch(ctd.log(), /failed to clean up after shim disconnected.*kr1|level=error.*kr1/);
  for (const id of ['kr1', 'kr2']) await ctd.ctrOk(['containers', 'delete', id]);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.deepEqual(bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX), { programs: 0, maps: 0 });
  assert.deepEqual(leftovers(ctd, 'kr1'), { mounts: [], cgroups: [], state: false, processes: [] });
  assert.equal(existsSync(socketPath({ address: ctd.socket, namespace: ctd.namespace }, groupOf('kr1', undefined, 'auto'))), false);
});

test('a pod whose wasmbpf server is killed -9: the sandbox handed to runc goes too, with its runc shim; nothing is left', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', wbsoakImage(SOAK)]);
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  const pod = ['--annotation', 'io.kubernetes.cri.sandbox-id=kpod1'];
  const run = (...args: string[]) => ['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...pod, ...args];
  await ctd.ctrOk(run('--annotation', 'io.kubernetes.cri.container-type=sandbox', NATIVE, 'kps', '/native', 'sleep'));
  await ctd.ctrOk(run('--annotation', 'io.kubernetes.cri.container-type=container', SOAK, 'kpw'));
  await waitFor('the module attached', () => bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX).programs === 1 || undefined);
  const sandboxPid = Number((await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => l.startsWith('kps '))?.split(/\s+/)[1]);
  assert.ok(existsSync(`/proc/${sandboxPid}`));
  assert.equal(leftovers(ctd, 'kps').processes.filter((p) => p.includes('containerd-shim-runc-v2')).length, 1, 'the pod\'s runc shim');
  const [server] = shimPids(ctd.socket);
  process.kill(server!, 'SIGKILL');

  // containerd cleans up both of the dead server's tasks; for the sandbox our `delete` asks the
  // runc shim (still running) to kill and delete it, and that shim then exits
  await waitFor('both tasks gone', async () => !(await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => /^kp[sw]\s/.test(l)) || undefined);
  await waitFor('the sandbox process and the runc shim to exit', () => (!existsSync(`/proc/${sandboxPid}`) && leftovers(ctd, 'kps').processes.length === 0) || undefined);
  for (const id of ['kps', 'kpw']) await ctd.ctrOk(['containers', 'delete', id]);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.deepEqual(bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX), { programs: 0, maps: 0 });
  for (const id of ['kps', 'kpw']) assert.deepEqual(leftovers(ctd, id), { mounts: [], cgroups: [], state: false, processes: [] }, id);
});

test('a pod whose wasmbpf server is killed -9 while containerd is down: the sandbox carries on under runc\'s shim, the Wasm task is gone', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', wbsoakImage(SOAK)]);
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  const pod = ['--annotation', 'io.kubernetes.cri.sandbox-id=kpod2'];
  const run = (...args: string[]) => ['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...pod, ...args];
  await ctd.ctrOk(run('--annotation', 'io.kubernetes.cri.container-type=sandbox', NATIVE, 'krs', '/native', 'sleep'));
  await ctd.ctrOk(run('--annotation', 'io.kubernetes.cri.container-type=container', SOAK, 'krw'));
  await waitFor('the module attached', () => bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX).programs === 1 || undefined);
  await killShimsAcrossRestart(ctd, shimPids(ctd.socket));

  // The sandbox's bundle names the runc shim's address (it wrote it at its start), so the
  // restarted containerd reconnects to it directly; the Wasm task's server is gone.
  const rows = (await ctd.ctrOk(['task', 'ls'])).split('\n');
  assert.match(rows.find((l) => l.startsWith('krs ')) ?? '', /RUNNING/);
  assert.ok(!rows.some((l) => l.startsWith('krw ')), rows.join('\n'));
  await ctd.ctrOk(['task', 'kill', 'krs']);
  await waitFor('the sandbox stopped', async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => /^krs\s.*STOPPED/.test(l)) || undefined);
  await ctd.ctrOk(['task', 'delete', 'krs']);
  for (const id of ['krs', 'krw']) await ctd.ctrOk(['containers', 'delete', id]);
  await waitFor('the runc shim to exit', () => leftovers(ctd, 'krs').processes.length === 0 || undefined);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.deepEqual(bpfObjects(WBSOAK_PROGRAM, WBSOAK_MAP_PREFIX), { programs: 0, maps: 0 });
  for (const id of ['krs', 'krw']) assert.deepEqual(leftovers(ctd, id), { mounts: [], cgroups: [], state: false, processes: [] }, id);
});

test('a containerd restart reconnects to the running shim; the task carries on and ends normally', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, 'localhost/wasmbpf-test/probe:v1', 'rs1', '/probe.wasm', 'sleep']);
  const [pid] = shimPids(ctd.socket);
  await ctd.restart();
  const row = await waitFor('the task after the restart', async () => (await ctd.ctr(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith('rs1 ')));
  assert.match(row, new RegExp(`^rs1\\s+${pid}\\s+RUNNING`));
  assert.deepEqual(shimPids(ctd.socket), [pid]);
  await ctd.ctrOk(['task', 'kill', 'rs1']);
  await waitFor('rs1 stopped', async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => /^rs1\s.*STOPPED/.test(l)) || undefined);
  await ctd.ctrOk(['task', 'delete', 'rs1']);
  await ctd.ctrOk(['containers', 'delete', 'rs1']);
  await waitFor('the shim to exit', () => shimPids(ctd.socket).length === 0 || undefined);
});
