// The OCI spec's capabilities as a ceiling on a Wasm task's eBPF (issue 13, item 2): for every
// task with [process] capabilities = "ceiling", for non-root tasks by default. What runc would
// refuse the same tool (bpf(2) without CAP_BPF, a tracepoint without CAP_PERFMON) the shim
// refuses with EPERM and a message naming the capability; the spec's user decides which set
// counts (uid 0: bounding, another uid: ambient, as execve leaves them).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, REPO_ROOT, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { ctrRunnable, rootfsImage } from '../test/helpers/ctr-image.ts';
import { FIXTURE_DIR, execsnoopImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { bpfObjects } from '../test/helpers/bpf-state.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const EXECSNOOP = 'localhost/wasmbpf-test/execsnoop:caps';
const AS_USER = 'localhost/wasmbpf-test/execsnoop-uid1000:caps';

/** examples/execsnoop as a bare module (its eBPF object embedded) in a rootfs image whose config says User 1000. */
function execsnoopAsUser(): string {
  const out = mkdtempSync('/tmp/wbcaps-');
  try {
    execFileSync(join(REPO_ROOT, 'bin', 'wasmbpf'), ['compile', join(REPO_ROOT, 'examples', 'execsnoop'), '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    return rootfsImage(AS_USER, join(FIXTURE_DIR, 'execsnoop-uid1000.tar'), { 'execsnoop.wasm': readFileSync(join(out, 'execsnoop.wasm')) }, ['/execsnoop.wasm'], '1000');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test('with [process] capabilities = "ceiling": no CAP_BPF, no eBPF; no CAP_PERFMON, no tracepoint; both, it runs; uid 1000 counts only its ambient set', root.options, async (t) => {
  const ctd = await Containerd.startFor(t, { shimConfig: '[shim]\nidle-timeout = "0s"\n[process]\ncapabilities = "ceiling"\n' });
  await ctd.ctrOk(['images', 'import', execsnoopImage(EXECSNOOP)]);
  await ctd.ctrOk(['images', 'import', execsnoopAsUser()]);
  const before = bpfObjects('handle_exec', 'execsnoo');
  const run = (id: string, image: string, ...flags: string[]) => ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...flags, image, id], { timeoutMs: 60_000 });

  const plain = await run('caps-default', EXECSNOOP); // containerd's default set: no CAP_BPF
  assert.notEqual(plain.code, 0, plain.stdout);
  assert.match(plain.stderr, /capabilities: program 'handle_exec' \(tracepoint\) needs CAP_BPF \(or CAP_SYS_ADMIN\), which the task does not have: the bounding set of the OCI spec's process \(uid 0\) is CAP_CHOWN,/, plain.stderr);

  const bpfOnly = await run('caps-bpf', EXECSNOOP, '--cap-add', 'CAP_BPF');
  assert.notEqual(bpfOnly.code, 0, bpfOnly.stdout);
  assert.match(bpfOnly.stderr, /capabilities: program 'handle_exec' \(tracepoint\) needs CAP_PERFMON \(or CAP_SYS_ADMIN\)/, bpfOnly.stderr);

  const asUser = await run('caps-uid', AS_USER, '--privileged');
  assert.notEqual(asUser.code, 0, asUser.stdout);
  assert.match(asUser.stderr, /needs CAP_BPF \(or CAP_SYS_ADMIN\), which the task does not have: the ambient set of the OCI spec's process \(uid 1000: a non-root process keeps only those across execve\) is empty/, asUser.stderr);

  for (const [id, flags] of [['caps-granted', ['--cap-add', 'CAP_BPF', '--cap-add', 'CAP_PERFMON']], ['caps-privileged', ['--privileged']]] as const) {
    const running = ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...flags, EXECSNOOP, id], { timeoutMs: 60_000 });
    await waitFor(`${id} attached`, () => bpfObjects('handle_exec', 'execsnoo').programs > before.programs || undefined);
    await ctd.ctrOk(['task', 'kill', '-s', 'SIGINT', id]);
    const result = await running;
    assert.equal(result.code, 0, `${id}: ${result.stderr}`);
  }
  for (const id of ['caps-default', 'caps-bpf', 'caps-uid']) await ctd.ctr(['containers', 'delete', id]);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
  assert.deepEqual(bpfObjects('handle_exec', 'execsnoo'), before);
});

test('with the ceiling, a raw socket needs CAP_NET_RAW: sockfilter without it is told EPERM, naming the capability', root.options, async (t) => {
  const ctd = await Containerd.startFor(t, { shimConfig: '[shim]\nidle-timeout = "0s"\n[process]\ncapabilities = "ceiling"\n' });
  const name = 'localhost/wasmbpf-test/sockfilter:caps';
  const raw = join(FIXTURE_DIR, 'sockfilter-raw.tar');
  execFileSync(join(REPO_ROOT, 'bin', 'wasmbpf'), ['build', join(REPO_ROOT, 'examples', 'sockfilter'), '-t', name, '-o', raw], {
    env: { ...process.env, WASMBPF_HOME: join(FIXTURE_DIR, 'home') }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await ctd.ctrOk(['images', 'import', ctrRunnable(raw, join(FIXTURE_DIR, 'sockfilter.tar'))]);
  const result = await ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, '--cap-add', 'CAP_BPF', '--cap-drop', 'CAP_NET_RAW', name, 'caps-raw'], { timeoutMs: 60_000 });
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /sockfilter: failed to open a raw socket on lo: Operation not permitted \(capabilities: a raw socket needs CAP_NET_RAW, which the task does not have: the bounding set of the OCI spec's process \(uid 0\) is .*CAP_BPF/, result.stderr);
  await ctd.ctr(['containers', 'delete', 'caps-raw']);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});

test('by default ([process] capabilities = "non-root") a task of another uid is capped by its ambient set; root tasks are not', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', execsnoopAsUser()]);
  await ctd.ctrOk(['images', 'import', execsnoopImage(EXECSNOOP)]);
  const asUser = await ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, '--privileged', AS_USER, 'caps-def-uid'], { timeoutMs: 60_000 });
  assert.notEqual(asUser.code, 0, asUser.stdout);
  assert.match(asUser.stderr, /needs CAP_BPF \(or CAP_SYS_ADMIN\), which the task does not have: the ambient set of the OCI spec's process \(uid 1000/, asUser.stderr);
  const before = bpfObjects('handle_exec', 'execsnoo');
  const running = ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, EXECSNOOP, 'caps-def-root'], { timeoutMs: 60_000 });
  await waitFor('root execsnoop attached with containerd\'s default capabilities', () => bpfObjects('handle_exec', 'execsnoo').programs > before.programs || undefined);
  await ctd.ctrOk(['task', 'kill', '-s', 'SIGINT', 'caps-def-root']);
  assert.equal((await running).code, 0);
  await ctd.ctr(['containers', 'delete', 'caps-def-uid']);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});
