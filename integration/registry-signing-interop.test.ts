// Interoperability of wasmbpf's signing with a second, independent implementation of cosign's
// key and signature formats (test/fixtures/cosign-peer/cosign_peer.py: libsodium, OpenSSL, its own
// HTTP), against the real docker-registry, in both directions: keys, signatures and the
// `sha256-<hex>.sig` attachment each side writes are read and verified by the other. (Debian
// 12's skopeo 1.9 would be the natural peer, but it is built with sigstore disabled:
// "Debian-local change: sigstore disabled"; docs/SECURITY.md.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RegistryClient } from '../image/registry/client.ts';
import { readSignatureManifest } from '../image/signature/attachment.ts';
import { sha256 } from '../oci-spec/index.ts';
import { assertStoreClean, startRegistry, wasmbpf } from '../test/helpers/registry.ts';
import { exitingWasm, generateKey, PASSWORD, pushTool, sign, workdir } from '../test/helpers/signing.ts';

const execFileAsync = promisify(execFile);
const PEER = new URL('../test/fixtures/cosign-peer/cosign_peer.py', import.meta.url).pathname;

/** Runs the peer with Debian's python3 (PyNaCl and cryptography are Debian packages). */
async function peer(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('/usr/bin/python3', [PEER, ...args], { env: { ...process.env, COSIGN_PASSWORD: PASSWORD } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('a key from `wasmbpf key generate` signs in the peer; wasmbpf pull --verify-key accepts the peer\'s signature and refuses the unsigned image', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const keys = await generateKey(dir, 'cosign');
  const name = `${registry.host}/tools/peer-signed:v1`;
  const digest = await pushTool(dir, name, exitingWasm(4));

  const refused = await wasmbpf(['pull', '--verify-key', keys.pub, name], { WASMBPF_HOME: join(dir, 'h0') });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`image ${name} \\(${digest}\\) is refused: no signature`));
  await assertStoreClean(join(dir, 'h0'), name);

  const signed = await peer('sign', keys.key, registry.host, 'tools/peer-signed', 'v1');
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(signed.stdout, `signed ${name} ${digest}\n`, 'the peer decrypted the wasmbpf key and signed the same digest');

  const pulled = await wasmbpf(['pull', '--verify-key', keys.pub, name], { WASMBPF_HOME: join(dir, 'h1') });
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`pulled ${name} ${digest}`));
  const ran = await wasmbpf(['run', '--verify-key', keys.pub, name], { WASMBPF_HOME: join(dir, 'h1') });
  assert.equal(ran.code, 4, ran.stderr);
});

test('a key the peer generated signs in `wasmbpf sign`; the peer verifies wasmbpf\'s signature, refuses it with another key, and both signers share one attachment', async (t) => {
  const registry = await startRegistry(t);
  const dir = await workdir(t);
  const peerKey = join(dir, 'peer');
  assert.equal((await peer('generate', peerKey)).code, 0);
  const wasmbpfKeys = await generateKey(dir, 'wasmbpf');
  const name = `${registry.host}/tools/both:v1`;
  const digest = await pushTool(dir, name, exitingWasm(6));

  const signed = await sign(name, `${peerKey}.key`);
  assert.equal(signed.code, 0, signed.stderr);
  const verified = await peer('verify', `${peerKey}.pub`, registry.host, 'tools/both', 'v1');
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(verified.stdout, `verified ${name} ${digest} (${name})\n`);

  const otherKey = await peer('verify', wasmbpfKeys.pub, registry.host, 'tools/both', 'v1');
  assert.equal(otherKey.code, 1);
  assert.match(otherKey.stderr, new RegExp(`refused ${digest}: signature does not verify`));

  // The peer appends its own signature (wasmbpf's key, decrypted by the peer) to wasmbpf's attachment.
  assert.equal((await peer('sign', wasmbpfKeys.key, registry.host, 'tools/both', 'v1')).code, 0);
  const attachment = await readSignatureManifest(new RegistryClient(registry.host, 'tools/both'), digest);
  assert.equal(attachment?.manifest.layers.length, 2, 'one signature from each implementation');
  for (const pub of [`${peerKey}.pub`, wasmbpfKeys.pub]) {
    const pulled = await wasmbpf(['pull', '--verify-key', pub, name], { WASMBPF_HOME: join(dir, `h-${sha256(pub).slice(7, 15)}`) });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((await peer('verify', pub, registry.host, 'tools/both', 'v1')).code, 0);
  }
  // And wasmbpf signing again with the peer's key recognizes its own signature there: nothing added.
  assert.match((await sign(name, `${peerKey}.key`)).stdout, /^already signed with this key:/);
});
