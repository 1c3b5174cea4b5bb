// `ctr images import` of a `wasmbpf build -o` tarball into a real containerd (Debian's 1.6,
// started by the test with its own root, state, socket and config; CRI disabled), and the way
// back: `ctr images export` gives a tarball wasmbpf resolves to the same module and objects.
//
// The test's containerd has the stream processor `wasmbpf install` adds (shim/containerd-config.ts),
// so the import also unpacks the image (into the empty rootfs `ctr run` needs). Without it,
// containerd 1.6 cannot unpack the module and object layers and `--no-unpack` is needed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { packTool } from '../image/build.ts';
import { resolveRunnable } from '../image/resolve.ts';
import { writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { streamProcessorToml } from '../shim/containerd-config.ts';
import { wasmbpf } from '../test/helpers/registry.ts';
import { spawnDaemon } from '../test/helpers/daemon.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const run = promisify(execFile);

async function startContainerd(t: { after: (fn: () => unknown) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'wbctd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, 'c.sock');
  const config = join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(dir, 'opt')}"`,
      streamProcessorToml(),
    ].join('\n'),
  );
  const log = join(dir, 'containerd.log');
  const proc = spawnDaemon(t, 'containerd', ['--config', config], log);
  const namespace = `wasmbpf-import-${process.pid}`;
  const ctr = (...args: string[]) => run('ctr', ['--address', socket, '--namespace', namespace, ...args]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await ctr('version');
      break;
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`containerd did not start: ${await readFile(log, 'utf8')}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { dir, ctr };
}

test('ctr images import accepts and unpacks the tarball; ctr images ls shows it; an export resolves back', root.options, async (t) => {
  const { dir, ctr } = await startContainerd(t);
  const files = await writeToolFiles('importme', ['x86_64', 'arm64'], ['-v']);
  t.after(() => files.cleanup());
  const tarball = join(dir, 'importme.tar');
  const name = '127.0.0.1:5000/tools/importme:v1';
  // Packed from compiled artifacts: this test is about the tarball, not the compiler.
  const built = await packTool(files.tool, { tag: name, output: tarball, home: join(dir, 'home') });

  const imported = await ctr('images', 'import', tarball);
  assert.match(imported.stdout, /unpacking 127\.0\.0\.1:5000\/tools\/importme:v1 \(sha256:[0-9a-f]{64}\)\.\.\.done/);
  const { stdout: list } = await ctr('images', 'ls');
  const row = list.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(row, `ctr images ls lists ${name}:\n${list}`);
  assert.ok(row.includes(built.descriptor.digest), row);
  assert.ok(row.includes('application/vnd.oci.image.manifest.v1+json'), row);
  // containerd holds every blob, byte for byte.
  for (const blob of built.image.blobs) {
    const { stdout } = await run('ctr', ['--address', join(dir, 'c.sock'), '--namespace', `wasmbpf-import-${process.pid}`, 'content', 'get', blob.descriptor.digest], { encoding: 'buffer', maxBuffer: 1 << 26 });
    assert.deepEqual(stdout, Buffer.from(blob.bytes), blob.descriptor.digest);
  }

  const exported = join(dir, 'exported.tar');
  await ctr('images', 'export', exported, name);
  const runnable = await resolveRunnable(exported, { hostArch: 'arm64' });
  assert.deepEqual(runnable.args, ['importme', '-v']);
  assert.deepEqual(runnable.bpfObjects.map((o) => o.arch), ['x86_64', 'arm64']);
  const inspected = await wasmbpf(['inspect', '--json', exported], { WASMBPF_HOME: join(dir, 'home') });
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal(JSON.parse(inspected.stdout).digest, built.descriptor.digest);
});
