// Test fixtures for registry tests: Debian's docker-registry (distribution 2.8) started on
// 127.0.0.1 with a random free port and its storage in a temp dir, optionally behind htpasswd
// basic auth or a bearer-token server (a small node:http server signing RS256 JWTs with a
// throwaway key whose self-signed certificate the registry trusts). Everything is stopped and
// removed in t.after().
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImageStore } from '../../image/store.ts';
import { sha256 } from '../../oci-spec/index.ts';
import { freePort } from './free-port.ts';
import { spawnDaemon } from './daemon.ts';
import type { Cleanup } from './cleanup.ts';

const run = promisify(execFile);

export interface Registry {
  /** host:port, e.g. "127.0.0.1:40123". */
  host: string;
  /** The registry's storage root (docker/registry/v2/...). */
  storage: string;
  /** Token server requests seen (bearer mode): the scopes asked for and the user. */
  tokenRequests: { scope: string[]; user: string | undefined }[];
  /** The file of a blob in the registry's storage (to corrupt or delete it). */
  blobDataPath(digest: string): string;
}

export const USER = 'alice';
export const PASSWORD = 'wonderland-42';

async function waitReady(url: string, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${await readFile(log, 'utf8').catch(() => '')}`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`docker-registry did not come up at ${url}: ${await readFile(log, 'utf8').catch(() => '')}`);
}

export async function startRegistry(
  t: Cleanup,
  options: { auth?: 'htpasswd' | 'token'; storage?: string; /** Listen address; default 127.0.0.1. */ address?: string } = {},
): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-registry-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const storage = options.storage ?? join(dir, 'storage');
  const port = await freePort();
  const tokenRequests: Registry['tokenRequests'] = [];
  let authYaml = '';
  if (options.auth === 'htpasswd') {
    const { stdout } = await run('htpasswd', ['-Bbn', USER, PASSWORD]);
    await writeFile(join(dir, 'htpasswd'), stdout);
    authYaml = `auth:\n  htpasswd:\n    realm: wasmbpf-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (options.auth === 'token') {
    const token = await startTokenServer(t, dir, tokenRequests);
    authYaml = `auth:\n  token:\n    realm: ${token.realm}\n    service: wasmbpf-test-registry\n    issuer: wasmbpf-test-issuer\n    rootcertbundle: ${token.certPath}\n`;
  }
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: ${options.address ?? '127.0.0.1'}:${port}\n${authYaml}`,
  );
  const log = join(dir, 'registry.log');
  const proc = spawnDaemon(t, 'docker-registry', ['serve', config], log);
  await waitReady(`http://${options.address ?? '127.0.0.1'}:${port}/v2/`, proc, log);
  return {
    host: `${options.address ?? '127.0.0.1'}:${port}`,
    storage,
    tokenRequests,
    blobDataPath: (digest) => {
      const hex = digest.slice('sha256:'.length);
      return join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    },
  };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

async function startTokenServer(t: Cleanup, dir: string, seen: Registry['tokenRequests']): Promise<{ realm: string; certPath: string }> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=wasmbpf-test-token']);
  const key = await readFile(keyPath, 'utf8');
  const certDer = new X509Certificate(await readFile(certPath)).raw;
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    const [user, pass] = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    const scopes = url.searchParams.getAll('scope');
    seen.push({ scope: scopes, user });
    if (user !== USER || pass !== PASSWORD) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = scopes.map((s) => {
      const [type, name, actions] = s.split(':');
      return { type, name, actions: (actions ?? '').split(',') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: 'wasmbpf-test-issuer',
      sub: user,
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `${signingInput}.${b64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  return { realm: `http://127.0.0.1:${port}/token`, certPath };
}

/** Runs bin/wasmbpf with `env` added; resolves to exit code, stdout and stderr (never rejects). */
export async function wasmbpf(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = new URL('../../bin/wasmbpf', import.meta.url).pathname;
  try {
    const { stdout, stderr } = await run(bin, args, { env: { ...process.env, WASMBPF_DEV: '1', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Asserts a store holds no name `name`, no in-flight temp file, and only blobs whose bytes match their digest. */
export async function assertStoreClean(home: string, name: string): Promise<void> {
  const store = ImageStore.open(home);
  assert.equal(await store.resolve(name), undefined, `${name} must not be tagged after a failed pull`);
  assert.deepEqual(await store.pendingWrites(), [], 'no temp files left behind');
  for (const digest of await store.blobs()) {
    assert.equal(sha256(await readFile(store.blobPath(digest))), digest, `blob ${digest} is complete`);
  }
}
