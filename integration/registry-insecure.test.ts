// Plain HTTP is only spoken to loopback registries, or to others with --insecure: a registry
// on this machine's non-loopback address gets HTTPS (and a hint when it fails) unless asked.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packTool } from '../image/build.ts';
import { pullImage } from '../image/pull.ts';
import { pushImage } from '../image/push.ts';
import { writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { assertStoreClean, startRegistry, wasmbpf } from '../test/helpers/registry.ts';

const address = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test('a non-loopback registry needs --insecure for plain HTTP', { skip: !address && 'no non-loopback IPv4 address on this machine' }, async (t) => {
  const registry = await startRegistry(t, { address: address! });
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-insecure-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = await writeToolFiles('plainhttp', ['x86_64']);
  t.after(() => files.cleanup());
  const home = join(dir, 'home');
  const built = await packTool(files.tool, { tag: 'plainhttp:v1', home });
  const name = `${registry.host}/tools/plainhttp:v1`;

  await assert.rejects(pushImage(name, { home, source: 'plainhttp:v1' }), {
    code: 'WASMBPF_REGISTRY_UNREACHABLE',
    message: new RegExp(`at https://${registry.host.replace(/\./g, '\\.')}: .*pass --insecure`),
  });
  await pushImage(name, { home, source: 'plainhttp:v1', insecure: true });

  const clean = join(dir, 'clean');
  await assert.rejects(pullImage(name, { home: clean }), { code: 'WASMBPF_REGISTRY_UNREACHABLE' });
  await assertStoreClean(clean, name);
  const cli = await wasmbpf(['pull', '--insecure', name], { WASMBPF_HOME: clean });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(built.descriptor.digest));
});
