// The node's signature policy ([verify] in the shim's node config) on a real containerd and a
// real registry: images pulled into containerd with `ctr images pull`, containers created with
// `ctr containers create`, and the shim's module resolution (container/module-source.ts, the path
// every Create takes) asked for their modules with containerd's own API. A policy requiring
// signatures refuses the unsigned image, and an image re-tagged in containerd onto a digest the
// registry's signature does not cover, naming image, digest and reason, before anything of the
// image is read; it accepts the signed image and leaves images it does not name alone.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContainerdApi } from '../shim/containerd-api.ts';
import { ImageRefusedError } from '../container/errors.ts';
import { toTtrpcError } from '../shim/error-status.ts';
import { resolveModule } from '../container/module-source.ts';
import { Status } from '../ttrpc/index.ts';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { exitingWasm, generateKey, pushTool, sign, workdir } from '../test/helpers/signing.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

test('[verify] require: the shim refuses an unsigned image and a re-tagged one, accepts the signed one, and leaves images it does not name alone', root.options, async (t) => {
  const registry = await startRegistry(t);
  const ctd = await Containerd.startFor(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'node');
  const signed = `${registry.host}/tools/signed:v1`;
  const unsigned = `${registry.host}/tools/unsigned:v1`;
  const elsewhere = `${registry.host}/scratch/free:v1`;
  const signedDigest = await pushTool(dir, signed, exitingWasm(1));
  const unsignedDigest = await pushTool(dir, unsigned, exitingWasm(2));
  await pushTool(dir, elsewhere, exitingWasm(3));
  assert.equal((await sign(signed, keys.key)).code, 0);
  for (const ref of [signed, unsigned, elsewhere]) await ctd.ctrOk(['images', 'pull', '--plain-http', ref]);
  // containerd's name for the signed image, pointed at the unsigned image's manifest.
  const retagged = `${registry.host}/tools/signed:v2`;
  await ctd.ctrOk(['images', 'tag', unsigned, retagged]);

  const nodeConfig = join(dir, 'shim.toml');
  await writeFile(nodeConfig, `[verify]\nkeys = [${JSON.stringify(keys.pub)}]\nrequire = ["${registry.host}/tools/*"]\n`);
  const api = new ContainerdApi(ctd.socket, ctd.namespace);
  t.after(() => api.close());
  const rootfs = await mkdtemp(join(tmpdir(), 'wbverify-rootfs-'));
  t.after(() => rm(rootfs, { recursive: true, force: true }));
  const resolve = async (image: string, id: string) => {
    await ctd.ctrOk(['containers', 'create', '--runtime', WASMBPF_RUNTIME, image, id]);
    return resolveModule({ id, spec: { process: { args: [], env: [] } }, rootfs, hostArch: 'x86_64', api: () => api, nodeConfig });
  };

  const accepted = await resolve(signed, 'verify-signed');
  assert.deepEqual(accepted?.wasm, Buffer.from(exitingWasm(1)), 'the signed image\'s module');

  await assert.rejects(resolve(unsigned, 'verify-unsigned'), (e: unknown) => {
    assert.ok(e instanceof ImageRefusedError, String(e));
    assert.equal(e.code, 'WASMBPF_SIGNATURE_MISSING');
    assert.equal(toTtrpcError(e).status, Status.FailedPrecondition);
    assert.equal(e.message, `image ${unsigned} (${unsignedDigest}) is refused: no signature: ${registry.host}/tools/unsigned has no sha256-${unsignedDigest.slice(7)}.sig with a signed payload (node policy [verify] in ${nodeConfig})`);
    return true;
  });

  await assert.rejects(resolve(retagged, 'verify-retagged'), (e: unknown) => {
    assert.ok(e instanceof ImageRefusedError, String(e));
    assert.equal(e.code, 'WASMBPF_SIGNATURE_MISSING', e.message);
    assert.match(e.message, new RegExp(`^image ${retagged} \\(${unsignedDigest}\\) is refused: no signature`), 'the digest containerd runs is checked, not the tag\'s signature');
    return true;
  });
  assert.notEqual(signedDigest, unsignedDigest);

  const free = await resolve(elsewhere, 'verify-elsewhere');
  assert.deepEqual(free?.wasm, Buffer.from(exitingWasm(3)), 'an image the policy does not name runs unsigned');

  await writeFile(nodeConfig, `[verify]\nkeys = [${JSON.stringify(keys.pub)}]\nallow-unsigned = false\n`);
  await assert.rejects(resolve(elsewhere, 'verify-strict'), /is refused: no signature/, 'allow-unsigned = false: every image');
});

test('ctr run under a node policy requiring signatures: the unsigned image fails with image, digest and reason; the signed one runs', root.options, async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'node');
  const ctd = await Containerd.startFor(t, { shimConfig: `[shim]\nidle-timeout = "0s"\n[verify]\nkeys = [${JSON.stringify(keys.pub)}]\nrequire = ["${registry.host}/*"]\n` });
  const signed = `${registry.host}/tools/signed:v1`;
  const unsigned = `${registry.host}/tools/unsigned:v1`;
  await pushTool(dir, signed, exitingWasm(0));
  const unsignedDigest = await pushTool(dir, unsigned, exitingWasm(0));
  assert.equal((await sign(signed, keys.key)).code, 0);
  for (const ref of [signed, unsigned]) await ctd.ctrOk(['images', 'pull', '--plain-http', ref]);
  const run = (image: string, id: string) => ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, image, id], { timeoutMs: 60_000 });

  const refused = await run(unsigned, 'sig-refused');
  assert.notEqual(refused.code, 0, refused.stdout);
  t.diagnostic(`ctr run of the unsigned image: ${refused.stderr.trim()}`);
  assert.match(refused.stderr, new RegExp(`image ${unsigned} \\(${unsignedDigest}\\) is refused: no signature: ${registry.host}/tools/unsigned has no sha256-${unsignedDigest.slice(7)}\\.sig`), refused.stderr);
  assert.doesNotMatch((await ctd.ctr(['task', 'ls'])).stdout, /sig-refused/, 'no task was created');

  const accepted = await run(signed, 'sig-accepted');
  assert.equal(accepted.code, 0, `${accepted.stderr}\n${ctd.log().slice(-3000)}`);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});
