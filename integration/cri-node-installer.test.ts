// The Kubernetes node installer's job, without Kubernetes or Docker: an /app laid out like the
// installer image's (built JavaScript, node_modules, bin/, libbpf and its libraries in lib/,
// VERSION_ID), the installer script run against a node's files in a temp dir (bin dir, a
// Debian-style containerd config that names no runtime), then a real containerd started from that
// config with only that bin dir on its PATH, and a pod with runtime handler `wasmbpf` run through
// the CRI API as the kubelet would: execsnoop's output reaches the pod's log, and the shim runs
// the installed copy with the libbpf the image ships. The script's uninstall then restores the
// config byte for byte and removes the copy.
import { strict as assert } from 'node:assert';
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unmountUnder } from '../test/helpers/containerd.ts';
import { CriClient } from '../test/helpers/cri-client.ts';
import { bridgeName, cleanupHost, cniConflist, existingCgroupParents, K8S_NAMESPACE } from '../test/helpers/cri-containerd.ts';
import { criLogLines } from '../test/helpers/cri-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { buildExampleImage } from '../test/helpers/example-image.ts';
import { buildPauseImage } from '../test/helpers/cri-pause-image.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd with its CRI plugin, network namespaces and eBPF programs');

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(REPO, 'cli/install/node-installer.sh');
const LIBS = ['libbpf.so.1', 'libelf.so.1', 'libz.so.1'];

function missingPrerequisite(): string | null {
  if (root.skip) return root.skip;
  for (const bin of ['containerd', 'ctr', 'runc', 'gcc', 'ip', 'ldconfig']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  }
  if (!existsSync('/usr/lib/cni/bridge')) return 'the CNI plugins (Debian containernetworking-plugins) are not in /usr/lib/cni';
  if (!existsSync(join(REPO, 'shim', 'main.ts'))) return 'shim/main.ts does not exist in this tree yet (the containerd shim, issue 5)';
  return null;
}

/** /app as the Dockerfile's final stage lays it out (node_modules linked rather than pruned). */
function buildApp(dir: string): string {
  const app = join(dir, 'app');
  mkdirSync(join(app, 'lib'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(app, 'package.json'));
  cpSync(join(REPO, 'bin'), join(app, 'bin'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'));
  const tsc = spawnSync(join(REPO, 'scripts/node'), [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(tsc.status, 0, `the TypeScript build failed:\n${tsc.stdout}${tsc.stderr}`);
  writeFileSync(join(app, 'dist/.stamp'), ''); // what `npm run build` leaves: bin/wasmbpf runs dist/
  // The same lookup as the Dockerfile's libbpf stage.
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout;
  for (const lib of LIBS) {
    const path = cache.split('\n').find((l) => l.trim().startsWith(`${lib} `))?.split(' => ')[1]?.trim();
    assert.ok(path, `ldconfig does not know ${lib} (Debian package libbpf1)`);
    copyFileSync(path, join(app, 'lib', lib)); // follows the soname symlink, like cp -L
  }
  writeFileSync(join(app, 'VERSION_ID'), `${randomBytes(8).toString('hex')}\n`);
  return app;
}

test('the node installer configures a node whose containerd then runs a wasmbpf pod through the CRI', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const dir = mkdtempSync('/tmp/wbnode-');
  const bridge = bridgeName('wbnode');
  const cgroupsBefore = new Set(existingCgroupParents());
  const socket = join(dir, 'c.sock');
  let containerd: ChildProcess | undefined;
  let containerdLog = '';
  t.after(async () => {
    if (containerd && containerd.exitCode === null) {
      // Pods a failed assertion left: removed as the kubelet would (shims, netns), then containerd.
      const cri = new CriClient(socket, { timeoutMs: 30_000 });
      try {
        const { items } = await cri.runtime<{ items: { id: string }[] }>('ListPodSandbox', {});
        for (const { id } of items) {
          await cri.runtime('StopPodSandbox', { podSandboxId: id }).catch(() => undefined);
          await cri.runtime('RemovePodSandbox', { podSandboxId: id }).catch(() => undefined);
        }
      } catch {
        // containerd is not answering; stopping it is all that is left to do.
      } finally {
        cri.close();
      }
      const exited = new Promise((r) => containerd?.once('exit', r));
      containerd.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => containerd?.kill('SIGKILL'))]);
    }
    unmountUnder(dir);
    cleanupHost(dir, bridge, cgroupsBefore);
  });

  const app = buildApp(dir);
  const version = readFileSync(join(app, 'VERSION_ID'), 'utf8').trim();
  const ref = `registry.example.com/wasmbpf/execsnoop:node-${process.pid}`;
  const tar = buildExampleImage('execsnoop', ref, dir);
  const pauseRef = `localhost/wasmbpf-test/pause:node-${process.pid}`;
  const pauseTar = await buildPauseImage(dir, pauseRef);

  // The node: Debian's packaged containerd config (no runtimes named), made private to the test.
  mkdirSync(join(dir, 'cni'));
  writeFileSync(join(dir, 'cni', '10-wasmbpf-test.conflist'), cniConflist(dir, bridge));
  mkdirSync(join(dir, 'host/etc/containerd'), { recursive: true });
  mkdirSync(join(dir, 'host/bin'));
  const config = join(dir, 'host/etc/containerd/config.toml');
  const original = `version = 2
root = "${dir}/root"
state = "${dir}/state"

[grpc]
  address = "${socket}"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${pauseRef}"
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${dir}/cni"
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/opt-containerd"
`;
  writeFileSync(config, original);
  const installerEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    WASMBPF_SRC: app,
    WASMBPF_INSTALL_DIR: join(dir, 'opt/wasmbpf'),
    WASMBPF_BIN_DIR: join(dir, 'host/bin'),
    WASMBPF_CONTAINERD_CONFIG: config,
    WASMBPF_RESTART_CONTAINERD: 'false',
    WASMBPF_READY_FILE: join(dir, 'ready'),
  };
  const installed = spawnSync('sh', [SCRIPT, 'install'], { env: installerEnv, encoding: 'utf8' });
  assert.equal(installed.status, 0, installed.stdout + installed.stderr);
  const target = join(dir, 'opt/wasmbpf', version);
  assert.ok(existsSync(join(target, 'dist/shim/main.js')), 'the installation is copied per version');

  // containerd as the node runs it after the restart: only the bin dir on PATH, no dev settings.
  containerd = spawn('containerd', ['--config', config], { cwd: '/', env: { PATH: `${join(dir, 'host/bin')}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin` }, stdio: ['ignore', 'ignore', 'pipe'] });
  containerd.stderr?.on('data', (b: Buffer) => (containerdLog += b.toString()));
  const cri = new CriClient(socket, { timeoutMs: 60_000 });
  t.after(() => cri.close());
  await waitFor('the CRI plugin to answer', async () => {
    assert.equal(containerd?.exitCode, null, `containerd exited:\n${containerdLog}`);
    return cri.runtime('Version', { version: 'v1' }).then(() => true, () => false);
  }, 20_000);
  const ctr = (args: string[]) =>
    new Promise<void>((resolve, reject) =>
      execFile('ctr', ['--address', socket, '--namespace', K8S_NAMESPACE, ...args], { timeout: 120_000 }, (err, _out, stderr) =>
        err ? reject(new Error(`ctr ${args.join(' ')}: ${stderr}`, { cause: err })) : resolve(),
      ),
    );
  await ctr(['images', 'import', pauseTar]);
  await ctr(['images', 'import', tar]);

  const sandboxConfig = {
    metadata: { name: `node-installer-${process.pid}`, uid: randomUUID(), namespace: 'default', attempt: 0 },
    hostname: 'execsnoop',
    logDirectory: join(dir, 'pods', 'execsnoop'),
  };
  const { podSandboxId } = await cri.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'wasmbpf' });
  const { containerId } = await cri.runtime<{ containerId: string }>('CreateContainer', {
    podSandboxId,
    sandboxConfig,
    config: { metadata: { name: 'execsnoop', attempt: 0 }, image: { image: ref }, logPath: 'execsnoop/0.log' },
  });
  await cri.runtime('StartContainer', { containerId });
  const logPath = join(sandboxConfig.logDirectory, 'execsnoop', '0.log');

  const probeName = `wbn${randomBytes(5).toString('hex')}`;
  const probe = join(dir, probeName);
  writeFileSync(probe, '#!/bin/sh\nexit 0\n');
  chmodSync(probe, 0o755);
  await waitFor(`execsnoop to report ${probeName} in ${logPath}`, () => {
    spawnSync(probe);
    return criLogLines(logPath, 'stdout').some((l) => l.includes(probeName));
  }, 60_000).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n--- log ---\n${existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(missing)'}\n--- containerd ---\n${containerdLog.slice(-4000)}`, { cause: err });
  });

  // The shim is the installed copy, and it loaded the libbpf the image ships.
  const shimEntry = join(target, 'dist/shim/main.js');
  const shims = readdirSync('/proc').filter((p) => {
    try {
      return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(shimEntry);
    } catch {
      return false;
    }
  });
  assert.ok(shims.length > 0, `no process runs ${shimEntry}`);
  const maps = shims.map((p) => readFileSync(`/proc/${p}/maps`, 'utf8')).join('');
  assert.ok(maps.includes(join(target, 'lib/libbpf.so.1')), 'the shim uses the libbpf shipped in <installation>/lib');

  await cri.runtime('StopContainer', { containerId, timeout: 10 });
  await cri.runtime('RemoveContainer', { containerId });
  await cri.runtime('StopPodSandbox', { podSandboxId });
  await cri.runtime('RemovePodSandbox', { podSandboxId });

  const removed = spawnSync('sh', [SCRIPT, 'uninstall'], { env: installerEnv, encoding: 'utf8' });
  assert.equal(removed.status, 0, removed.stdout + removed.stderr);
  assert.equal(readFileSync(config, 'utf8'), original, 'the node config is restored byte for byte');
  assert.deepEqual(readdirSync(join(dir, 'host/bin')), []);
  assert.ok(!existsSync(target), 'the copied installation is removed');
});
