// What goes wrong must fail clearly and leave nothing behind: a module that is not there, images
// that are broken or carry no eBPF object for this CPU, and a shim server killed with SIGKILL
// under a running eBPF tool.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { socketPath } from '../shim/start.ts';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from './harness/containerd.ts';
import { artifactImage } from './harness/ctr-image.ts';
import { FIXTURE_DIR, execsnoopImage, probeImage, probeWasm } from './shim-fixtures/fixtures.ts';
import { bpfObjects, shimPids, waitFor } from './shim-observe.ts';

const WASM = 'application/vnd.wasm.content.layer.v1+wasm';
const OBJECT = 'application/vnd.wasmbpf.ebpf.object.v1+elf';

async function containerd(t: { after(fn: () => Promise<void>): void }): Promise<Containerd> {
  const ctd = await Containerd.start();
  t.after(() => ctd.stop());
  return ctd;
}

const run = (ctd: Containerd, ...args: string[]) => ['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args];

async function assertCleanFailure(ctd: Containerd, image: string, id: string, pattern: RegExp, ...args: string[]) {
  const result = await ctd.ctr(run(ctd, image, id, ...args));
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, pattern);
  await waitFor(`no shim left after ${id}`, () => shimPids(ctd.socket).length === 0 || undefined);
  await ctd.ctr(['containers', 'delete', id]);
  return result.stderr;
}

test('a missing module fails ctr run with a message naming it', async (t) => {
  const ctd = await containerd(t);
  await ctd.ctrOk(['images', 'import', probeImage('localhost/wasmbpf-test/probe:v1')]);
  await assertCleanFailure(ctd, 'localhost/wasmbpf-test/probe:v1', 'missing1',
    /module \/nothere\.wasm \(process\.args\[0\]\) is neither in the container's rootfs nor a Wasm layer of its image/, '/nothere.wasm');
});

test('bad images fail ctr run clearly: a module layer that is not Wasm, an eBPF layer without its architecture', async (t) => {
  const ctd = await containerd(t);
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

test('an image without an eBPF object for this CPU fails ctr run naming the architectures', async (t) => {
  const ctd = await containerd(t);
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

test('the eBPF policy in the container\'s annotations is enforced: execsnoop may not load a tracepoint', async (t) => {
  const ctd = await containerd(t);
  await ctd.ctrOk(['images', 'import', execsnoopImage('localhost/wasmbpf-test/execsnoop:shim')]);
  const result = await ctd.ctr(run(ctd, '--annotation', 'wasmbpf.io/allowed-program-types=kprobe', 'localhost/wasmbpf-test/execsnoop:shim', 'pol1'));
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /policy: program 'handle_exec' is of type 'tracepoint'.*wasmbpf\.io\/allowed-program-types=kprobe/);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});

test('kill -9 of the shim server: the task is reported stopped, task delete works, nothing stays loaded', async (t) => {
  const ctd = await containerd(t);
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
  process.kill(pid, 'SIGKILL');
  // containerd notices the dropped connection and runs `containerd-shim-wasmbpf-v1 ... delete`
  await waitFor('the cleanup run of the shim binary to end',
    () => (ctd.log().includes('cleaning up dead shim') && shimPids(ctd.socket).length === 0) || undefined);
  const row = await waitFor('containerd to see the task stop', async () => {
    const ls = (await ctd.ctr(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith('k9 '));
    return ls === undefined || /STOPPED/.test(ls) ? ls ?? 'gone' : undefined;
  });
  // containerd 1.6 drops a dead shim's task from its list once `delete` has cleaned up
  assert.ok(row === 'gone' || /STOPPED/.test(row), row);
  // containerd publishes the exit on the dead shim's behalf, with the status `delete` reported
  const exit = await waitFor('the exit event', () => seen.split('\n').find((l) => l.includes('/tasks/exit') && l.includes('k9')));
  assert.match(exit, /137/);
  const deleted = await ctd.ctr(['task', 'delete', 'k9']);
  assert.ok(deleted.code === 0 || /not found/.test(deleted.stderr), deleted.stderr);
  await ctd.ctrOk(['containers', 'delete', 'k9']);
  assert.deepEqual(shimPids(ctd.socket), []);
  assert.equal(existsSync(socketPath({ address: ctd.socket, namespace: ctd.namespace }, 'k9')), false, 'the dead server\'s socket is removed');
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), before);
  assert.doesNotMatch(ctd.log(), /level=error.*k9.*(mount|umount)/);
});

test('a containerd restart reconnects to the running shim; the task carries on and ends normally', async (t) => {
  const ctd = await containerd(t);
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
