// The node's `[verify]` table in /etc/wasmbpf/shim.toml (or the runtime options' ConfigPath,
// node-policy.ts): which images need a signature before the shim reads anything of them.
//
//   [verify]
//   keys = ["keys/release.pub"]                # PEM public keys (cosign.pub); any one suffices;
//                                              # relative paths are relative to this file's directory
//   require = ["registry.example.com/*"]       # images whose name matches need a signature
//   allow-unsigned = true                      # default; false: every image needs one
//
// Names are matched as containerd records them, normalized ("docker.io/library/x:v1"): a
// pattern matches the repository ("registry.example.com/tools/x") or the full name with its tag,
// and `*` matches any run of characters, "/" included. A table that names images to check but
// no key, or has a key it does not know, refuses every task rather than running them unchecked.
import path from 'node:path';
import { invalidArgument } from './errors.ts';
import { readNodeConfig } from './node-config.ts';

export interface VerifyPolicy {
  /** Paths of the public keys a signature may be made with (absolute: relative ones are resolved against the file's directory). */
  keys: string[];
  /** Globs of image names that need a signature. */
  require: string[];
  /** False: every image (and a container without one) needs a signature. */
  allowUnsigned: boolean;
}

const KNOWN_KEYS = ['keys', 'require', 'allow-unsigned'];

/** The [verify] table of the node's file; undefined when there is no file or no table. */
export function readVerifyPolicy(file: string | undefined): VerifyPolicy | undefined {
  if (!file) return undefined;
  const table = readNodeConfig(file).verify;
  if (table === undefined) return undefined;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw invalidArgument(`${file}: verify must be a table`);
  const section = table as Record<string, unknown>;
  const unknown = Object.keys(section).filter((k) => !KNOWN_KEYS.includes(k));
  if (unknown.length > 0) throw invalidArgument(`${file}: unknown key ${unknown.map((k) => `verify.${k}`).join(', ')} (known: ${KNOWN_KEYS.join(', ')})`);
  // Relative to the file, so the table `wasmbpf install` writes (keys/NAME.pub) holds wherever
  // the node's /etc/wasmbpf is mounted (the DaemonSet writes it as /host/etc/wasmbpf).
  const keys = stringList(section.keys, `${file}: verify.keys`).map((key) => path.resolve(path.dirname(file), key));
  const require = stringList(section.require, `${file}: verify.require`);
  const allowUnsigned = section['allow-unsigned'] ?? true;
  if (typeof allowUnsigned !== 'boolean') throw invalidArgument(`${file}: verify.allow-unsigned must be true or false`);
  if (keys.length === 0 && (require.length > 0 || !allowUnsigned)) {
    throw invalidArgument(`${file}: verify requires signatures but lists no keys (verify.keys = ["/path/cosign.pub"])`);
  }
  return { keys, require, allowUnsigned };
}

/** Whether the image `name` (normalized, with tag or digest) must be signed under `policy`. */
export function requiresSignature(policy: VerifyPolicy, name: string, repository: string): boolean {
  if (!policy.allowUnsigned) return true;
  return policy.require.some((glob) => {
    const pattern = globToRegExp(glob);
    return pattern.test(repository) || pattern.test(name);
  });
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) throw invalidArgument(`${what} must be a list of strings`);
  return value as string[];
}
