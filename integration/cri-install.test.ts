// `wasmbpf install` as a new user runs it, against a real containerd: install into a bin dir and
// a Debian-packaged containerd config (CNI paths only, no runtimes of its own), start containerd
// with that config and only that bin dir on its PATH, then
//   - the CRI plugin loads (the edit kept runc, which containerd drops once a config names any
//     runtime, and would otherwise refuse to load),
//   - `ctr run --runtime io.containerd.wasmbpf.v1` of the execsnoop image runs through the
//     installed launcher on the built JavaScript and prints the execs the test causes;
// and `wasmbpf uninstall` gives back the config byte for byte.
import { strict as assert } from 'node:assert';
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { install, uninstall } from '../cli/install/installer.ts';
import { installationAt } from '../cli/install/launchers.ts';
import { unmountUnder } from '../test/helpers/containerd.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and eBPF programs');

const REPO = fileURLToPath(new URL('..', import.meta.url));

function missingPrerequisite(): string | null {
  if (root.skip) return root.skip;
  for (const bin of ['containerd', 'ctr', 'bpftool']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  }
  if (!existsSync(join(REPO, 'shim', 'main.ts'))) return 'shim/main.ts does not exist in this tree yet (the containerd shim, issue 5)';
  if (!existsSync(join(REPO, 'examples', 'execsnoop'))) return 'examples/execsnoop does not exist in this tree yet';
  return null;
}

/** A built installation in a temp dir (what `npm run build` makes), leaving this checkout's dist/ alone. */
function buildInstallation(dir: string): string {
  const root = join(dir, 'wasmbpf');
  mkdirSync(root);
  cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const tsc = spawnSync(join(REPO, 'scripts/node'), [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(root, 'dist')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(tsc.status, 0, `npm run build equivalent failed:\n${tsc.stdout}${tsc.stderr}`);
  return root;
}

test('wasmbpf install on a Debian containerd config: CRI loads, ctr run uses the installed shim, uninstall restores', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const dir = mkdtempSync('/tmp/wbinst-');
  let containerd: ChildProcess | undefined;
  t.after(async () => {
    if (containerd && containerd.exitCode === null) {
      const exited = new Promise((r) => containerd?.once('exit', r));
      containerd.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => containerd?.kill('SIGKILL'))]);
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  const root = buildInstallation(dir);
  const ref = `registry.example.com/wasmbpf/execsnoop:install-${process.pid}`;
  const tar = join(dir, 'execsnoop.tar');
  const build = spawnSync(join(REPO, 'bin/wasmbpf'), ['build', join(REPO, 'examples/execsnoop'), '-t', ref, '-o', tar], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, WASMBPF_HOME: join(dir, 'home') },
  });
  assert.equal(build.status, 0, build.stderr);

  // Debian's packaged config, plus what keeps this containerd private to the test.
  mkdirSync(join(dir, 'cni'));
  const config = join(dir, 'etc/containerd/config.toml');
  mkdirSync(join(dir, 'etc/containerd'), { recursive: true });
  const original = `version = 2
root = "${dir}/root"
state = "${dir}/state"

[grpc]
  address = "${dir}/c.sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${dir}/cni"
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/opt"
`;
  writeFileSync(config, original);
  const binDir = join(dir, 'bin');
  const out: string[] = [];
  const log = { out: (s: string) => void out.push(s) };
  const installed = await install({ binDir, configFile: config, dryRun: false, withCli: false, installation: installationAt(root) }, log);
  assert.deepEqual(installed, { changed: true, configChanged: true });

  // containerd finds the shim only through the bin dir install wrote, and runs the built JS.
  // The node's shim settings: its shared server exits as soon as it may once the task is gone
  // (the default waits a minute for the next container).
  writeFileSync(join(dir, 'shim.toml'), '[shim]\nidle-timeout = "0s"\n');
  const env: NodeJS.ProcessEnv = { PATH: `${binDir}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin`, WASMBPF_SHIM_CONFIG: join(dir, 'shim.toml') };
  containerd = spawn('containerd', ['--config', config], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let containerdLog = '';
  containerd.stderr?.on('data', (b: Buffer) => (containerdLog += b.toString()));
  const ctr = (args: string[], timeout = 60_000) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('ctr', ['--address', join(dir, 'c.sock'), ...args], { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  const deadline = Date.now() + 20_000;
  while ((await ctr(['version'], 2000)).code !== 0) {
    assert.ok(Date.now() < deadline && containerd.exitCode === null, `containerd did not start:\n${containerdLog}`);
    await sleep(50);
  }

  const plugins = await ctr(['plugins', 'ls']);
  assert.match(plugins.stdout, /^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\s*$/m, `the CRI plugin did not load:\n${plugins.stdout}\n${containerdLog.slice(-3000)}`);

  const imported = await ctr(['images', 'import', tar], 120_000);
  assert.equal(imported.code, 0, imported.stderr);
  mkdirSync(join(dir, 'fifo'));
  const id = `snoop-${process.pid}`;
  const running = ctr(['run', '--rm', '--runtime', 'io.containerd.wasmbpf.v1', '--fifo-dir', join(dir, 'fifo'), ref, id], 120_000);
  const shimEntry = join(root, 'dist/shim/main.js');
  const shims = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(shimEntry);
        } catch {
          return false;
        }
      });
  const marker = `wbinstall-${process.pid}`;
  let seen = false;
  let viaInstalledShim = false;
  for (let i = 0; i < 100 && !seen; i++) {
    await sleep(300);
    await new Promise((r) => execFile('/bin/sh', ['-c', `exec /bin/echo ${marker}`], r));
    if (shims().length > 0) viaInstalledShim = true;
    const tasks = await ctr(['task', 'ls']);
    if (!tasks.stdout.includes(id)) continue;
    // ctr's output arrives only when it exits; stop after a few rounds past RUNNING.
    if (tasks.stdout.includes('RUNNING') && i > 5) seen = true;
  }
  assert.ok(viaInstalledShim, 'the task ran in the installed shim (node on the installation\'s dist/shim/main.js)');
  await ctr(['task', 'kill', '-s', 'SIGINT', id]);
  const result = await running;
  assert.equal(result.code, 0, `${result.stderr}\n${containerdLog.slice(-3000)}`);
  assert.match(result.stdout, new RegExp(`^echo\\s+\\d+\\s+\\d+\\s+0 /bin/echo ${marker}$`, 'm'), `no exec of echo ${marker} in:\n${result.stdout}`);
  // The installed shim (node on <root>/dist/shim/main.js) exits after `ctr run --rm` (the node's
  // server 2 s after its last connection, with idle-timeout "0s").
  for (let i = 0; i < 100 && shims().length > 0; i++) await sleep(100);
  assert.deepEqual(shims(), [], 'the installed shim exited after ctr run --rm');

  const removed = await uninstall({ binDir, configFile: config, dryRun: false }, log);
  assert.deepEqual(removed, { changed: true, configChanged: true });
  assert.equal(readFileSync(config, 'utf8'), original);
  assert.ok(!existsSync(join(binDir, 'containerd-shim-wasmbpf-v1')));
});
