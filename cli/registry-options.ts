// The registry flags push, pull and inspect share: one definition of the options, their help
// lines, and how they become credentials (so --password-stdin works the same everywhere).
import { text } from 'node:stream/consumers';

export const REGISTRY_OPTIONS = {
  insecure: { type: 'boolean' },
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  'password-stdin': { type: 'boolean' },
} as const;

export const REGISTRY_HELP = `      --insecure          allow plain HTTP to a registry that is not on loopback
  -u, --username USER     registry user (else WASMBPF_REGISTRY_AUTH=user:password or ~/.docker/config.json)
  -p, --password PASS     registry password (seen by other users in ps; prefer --password-stdin)
      --password-stdin    read the password from standard input`;

interface RegistryValues {
  insecure?: boolean;
  username?: string;
  password?: string;
  'password-stdin'?: boolean;
}

/** The insecure flag and credentials, in the shape image/pull, image/push and image/inspect take. */
export async function registryAccess(values: RegistryValues): Promise<{ insecure?: true; credentials: { username?: string; password?: string } }> {
  const password = values['password-stdin'] ? (await text(process.stdin)).replace(/\r?\n$/, '') : values.password;
  return {
    ...(values.insecure ? { insecure: true as const } : {}),
    credentials: { ...(values.username !== undefined ? { username: values.username } : {}), ...(password !== undefined ? { password } : {}) },
  };
}
