// A full disk under the image store: WASMBPF_HOME on a tiny tmpfs (64 KiB) that an image's
// module layer (~150 KiB) does not fit in. Build and pull fail with WASMBPF_NO_SPACE naming
// where, and the store keeps no name, no temp file and no partial blob.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packTool } from '../image/build.ts';
import { pullImage } from '../image/pull.ts';
import { buildLimitFixtures } from '../test/helpers/limits-guest.ts';
import { serveImage } from '../test/helpers/image-server.ts';
import { assertStoreClean, wasmbpf } from '../test/helpers/registry.ts';
import { rootOnly } from '../test/helpers/root.ts';
import type { Cleanup } from '../test/helpers/cleanup.ts';

const root = rootOnly('mounts a tmpfs');

function setup(t: Cleanup) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-h4a-disk-'));
  const fx = buildLimitFixtures();
  const full = join(dir, 'full');
  mkdirSync(full);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'wasmbpf-h4a-full', full]);
  t.after(() => {
    execFileSync('umount', [full]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(fx.dir, { recursive: true, force: true });
  });
  // A tool whose module (~150 KiB, unstripped) is larger than the whole tmpfs.
  const tool = { name: 'big', wasmPath: fx.guest, objects: [], args: [] };
  return { dir, full, tool };
}

test('build into a full store: WASMBPF_NO_SPACE naming the blob, nothing partial kept', root.options, async (t) => {
  const { full, tool } = setup(t);
  await assert.rejects(packTool(tool, { tag: 'big:v1', home: full }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMBPF_NO_SPACE', err.message);
    assert.match(err.message, new RegExp(`^no space left to write ${full}/\\S+ \\(the disk is full, ENOSPC\\); nothing partial was kept`));
    return true;
  });
  await assertStoreClean(full, 'big:v1');
});

test('wasmbpf pull into a full store: exit 1 with the ENOSPC message, nothing partial kept', root.options, async (t) => {
  const { dir, full, tool } = setup(t);
  const built = await packTool(tool, { tag: 'big:v1', home: join(dir, 'src') });
  const served = await serveImage(t, join(dir, 'src'), built.descriptor);
  const name = `${served.host}/tools/big:v1`;
  const cli = await wasmbpf(['pull', name], { WASMBPF_HOME: full });
  assert.equal(cli.code, 1, cli.stderr);
  assert.match(cli.stderr, /^wasmbpf pull: no space left to write .*blobs\/sha256\/[0-9a-f]{64} \(the disk is full, ENOSPC\); nothing partial was kept\. Free space under .*, or set WASMBPF_HOME/m);
  await assertStoreClean(full, name);
  await assert.rejects(pullImage(name, { home: full }), { code: 'WASMBPF_NO_SPACE' });
  await assertStoreClean(full, name);
});
