// The shim binary's `start` as containerd runs it, without containerd: cwd the bundle, flags,
// TTRPC_ADDRESS; stdout must be exactly the address. A pod's starts (even racing) share one
// detached server; Shutdown with no task ends it and removes its socket. Needs root
// (/run/containerd/s), like every integration test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TtrpcClient } from '../ttrpc/index.ts';
import { Task } from '../shim/protos.ts';
import { REPO_ROOT } from '../test/helpers/containerd.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';
import type { Cleanup } from '../test/helpers/cleanup.ts';

const root = rootOnly('runs containerd and its shims');

const SHIM = join(REPO_ROOT, 'bin', 'containerd-shim-wasmbpf-v1');

// The node's config for these starts: a node-grouped server exits as soon as it may (2 s after its
// last connection) once it has no task.
const CONFIG_DIR = mkdtempSync('/tmp/wbstart-config-');
after(() => rmSync(CONFIG_DIR, { recursive: true, force: true }));
const SHIM_CONFIG = join(CONFIG_DIR, 'shim.toml');
writeFileSync(SHIM_CONFIG, '[shim]\nidle-timeout = "0s"\n');

function shim(bundle: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(SHIM, args, { cwd: bundle, env: { ...process.env, TTRPC_ADDRESS: '/nonexistent/c.sock.ttrpc', WASMBPF_DEV: '1', WASMBPF_SHIM_CONFIG: SHIM_CONFIG } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

function bundle(t: Cleanup, annotations: Record<string, string>): string {
  const dir = mkdtempSync('/tmp/wbstart-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ process: { args: ['/x.wasm'] }, annotations }));
  return dir;
}

const flags = (id: string) => ['-namespace', `wbstart-${process.pid}`, '-address', `/tmp/wbstart-${process.pid}.sock`, '-publish-binary', '/usr/bin/containerd', '-id', id, 'start'];

/** Shutdown as containerd sends it after a task's Delete; then containerd closes its connection. */
async function shutdown(address: string): Promise<number> {
  const client = await TtrpcClient.connect(address.slice('unix://'.length));
  const { shimPid } = Task.ConnectResponse.decode(await client.call('containerd.task.v2.Task', 'Connect', Task.ConnectRequest.encode({ id: 'x' })));
  await client.call('containerd.task.v2.Task', 'Shutdown', Task.ShutdownRequest.encode({ id: 'x' }));
  await client.close();
  return shimPid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('racing starts of one pod print the same address and share one server; Shutdown ends it; a plain container\'s node server ends once idle', root.options, async (t) => {
  const pod = { 'io.kubernetes.cri.sandbox-id': `pod-${process.pid}` };
  const [a, b] = await Promise.all([shim(bundle(t, pod), flags('c1')), shim(bundle(t, pod), flags('c2'))]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(a.stdout, /^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{40}$/);
  assert.equal(b.stdout, a.stdout);
  const other = await shim(bundle(t, {}), flags('c3'));
  assert.equal(other.code, 0, other.stderr);
  assert.notEqual(other.stdout, a.stdout);

  for (const address of [a.stdout, other.stdout]) {
    const pid = await shutdown(address);
    await waitFor(`server ${pid} to exit`, () => !alive(pid) || undefined);
    assert.equal(existsSync(address.slice('unix://'.length)), false);
  }
});

test('bad command lines and bundles fail with a message on stderr and nothing on stdout', async (t) => {
  const bad = await shim(bundle(t, {}), ['-namespace', 'x', '-id', 'y', 'frobnicate']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /unknown action "frobnicate"/);
  const empty = mkdtempSync('/tmp/wbstart-');
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const noSpec = await shim(empty, flags('c4'));
  assert.equal(noSpec.code, 1);
  assert.equal(noSpec.stdout, '');
  assert.match(noSpec.stderr, /cannot read the bundle's runtime spec .*config\.json/);
});
