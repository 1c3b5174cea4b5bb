// Where registry credentials come from, first match wins:
//   1. explicit (--username/--password or --password-stdin),
//   2. WASMBPF_REGISTRY_AUTH="user:password" (for scripts and CI; applies to any registry),
//   3. the `auths` of $DOCKER_CONFIG/config.json or ~/.docker/config.json (what `docker login`
//      and `skopeo login --authfile` write), matched by registry host.
// Credential helpers (credsStore) are not run: that would execute arbitrary binaries.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from './errors.ts';

export interface Credentials {
  username: string;
  password: string;
}

export class CredentialsError extends RegistryError {
  readonly code = 'WASMBPF_REGISTRY_CREDENTIALS';
}

function splitUserPass(value: string, what: string): Credentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new CredentialsError(`${what} must be "user:password"`);
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

export async function findCredentials(registry: string, explicit?: Partial<Credentials>, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (explicit?.username !== undefined || explicit?.password !== undefined) {
    if (!explicit.username || explicit.password === undefined) throw new CredentialsError('--username and --password go together');
    return { username: explicit.username, password: explicit.password };
  }
  if (env.WASMBPF_REGISTRY_AUTH) return splitUserPass(env.WASMBPF_REGISTRY_AUTH, 'WASMBPF_REGISTRY_AUTH');
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let auths: Record<string, { auth?: string; username?: string; password?: string }>;
  try {
    auths = (JSON.parse(text) as { auths?: typeof auths }).auths ?? {};
  } catch (cause) {
    throw new CredentialsError(`${file} is not valid JSON`, { cause });
  }
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'] : [registry];
  for (const [key, entry] of Object.entries(auths)) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!keys.includes(key) && !keys.includes(host)) continue;
    if (entry.auth) return splitUserPass(Buffer.from(entry.auth, 'base64').toString('utf8'), `the auth of ${key} in ${file}`);
    if (entry.username && entry.password !== undefined) return { username: entry.username, password: entry.password };
  }
  return undefined;
}
