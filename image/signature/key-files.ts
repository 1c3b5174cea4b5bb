// Key files on disk: the public keys a verification accepts and the private key a signature is
// made with. The format lives in keys.ts; this file only reads and names files.
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { SigningKeyError } from './errors.ts';
import { decryptPrivateKey, parsePublicKey } from './keys.ts';

/** A public key and the file it came from (for messages). */
export interface VerificationKey {
  path: string;
  key: KeyObject;
}

export async function readVerificationKeys(paths: readonly string[]): Promise<VerificationKey[]> {
  if (paths.length === 0) throw new SigningKeyError('no public key given to verify signatures with');
  return Promise.all(paths.map(async (path) => ({ path, key: parsePublicKey(await readKeyFile(path), path) })));
}

export async function readSigningKey(path: string, password: string): Promise<KeyObject> {
  return decryptPrivateKey(await readKeyFile(path), password, path);
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new SigningKeyError(`cannot read the key ${path}: ${(cause as Error).message}`, { cause });
  }
}
