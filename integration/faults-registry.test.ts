// A registry that stalls: one that accepts the connection and never answers, and one that sends
// the headers of a layer and part of its body, then nothing. Pull (library and CLI) fails within
// the silence limit (WASMBPF_REGISTRY_TIMEOUT, image/registry/timeout.ts) with an error naming
// the registry and the limit, and the store keeps no name, temp file or partial blob.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { packTool } from '../image/build.ts';
import { pullImage } from '../image/pull.ts';
import { ImageStore } from '../image/store.ts';
import { writeToolFiles } from '../test/helpers/image-tool-files.ts';
import { serveImage } from '../test/helpers/image-server.ts';
import { assertStoreClean, wasmbpf } from '../test/helpers/registry.ts';

// The library reads the limit from the environment (the CLI tests pass their own).
process.env.WASMBPF_REGISTRY_TIMEOUT = '1';

async function tempDir(t: { after: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-h4a-stall-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP server that accepts connections and never says a word; its host:port. */
async function silentRegistry(t: TestContext): Promise<string> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a registry that accepts and never answers: pull times out naming the registry and the limit', async (t) => {
  const host = await silentRegistry(t);
  const home = join(await tempDir(t), 'home');
  const name = `${host}/tools/silent:v1`;

  await assert.rejects(pullImage(name, { home }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMBPF_REGISTRY_TIMEOUT');
    assert.match(err.message, new RegExp(`manifest v1: the registry ${host} at http://${host} sent no response for 1 s: timed out \\(WASMBPF_REGISTRY_TIMEOUT sets the limit\\)`));
    return true;
  });
  await assertStoreClean(home, name);
});

test('wasmbpf pull from a silent registry: exit 1 with the timeout message; a bad WASMBPF_REGISTRY_TIMEOUT is refused', async (t) => {
  const host = await silentRegistry(t);
  const home = join(await tempDir(t), 'home');
  const cli = await wasmbpf(['pull', `${host}/tools/silent:v1`], { WASMBPF_HOME: home, WASMBPF_REGISTRY_TIMEOUT: '500ms' });
  assert.equal(cli.code, 1, cli.stderr);
  assert.match(cli.stderr, new RegExp(`^wasmbpf pull: .*the registry ${host} at http://${host} sent no response for 500 ms: timed out \\(WASMBPF_REGISTRY_TIMEOUT sets the limit\\)`, 'm'));
  const bad = await wasmbpf(['pull', `${host}/tools/silent:v1`], { WASMBPF_HOME: home, WASMBPF_REGISTRY_TIMEOUT: 'soon' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /WASMBPF_REGISTRY_TIMEOUT=soon is not a duration/);
});

test('a registry that sends a layer\'s headers and half its body, then stalls: timeout, no partial blob kept', async (t) => {
  const dir = await tempDir(t);
  const files = await writeToolFiles('stall', ['x86_64']);
  t.after(() => files.cleanup());
  const built = await packTool(files.tool, { tag: 'stall:v1', home: join(dir, 'src') });
  const served = await serveImage(t, join(dir, 'src'), built.descriptor, { stallBlob: (layers) => layers[0]!.digest });
  const layer = served.layers[0]!;
  const home = join(dir, 'home');
  const name = `${served.host}/tools/stall:v1`;
  await assert.rejects(pullImage(name, { home }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMBPF_REGISTRY_TIMEOUT', err.message);
    assert.match(err.message, new RegExp(`layer 0 ${layer.digest}: the registry ${served.host} at http://${served.host} sent no further body bytes for 1 s: timed out`));
    return true;
  });
  await assertStoreClean(home, name);
  assert.ok(!(await ImageStore.open(home).blobs()).includes(layer.digest), 'the stalled layer is not in the store');
});
