// `wasmbpf sign REF`: signs the manifest digest REF resolves to in its registry and stores the
// signature beside it (attachment.ts). What is signed is the registry's manifest, not the local
// store's copy: a signature is only useful where verifiers look it up, for the bytes they pull.
import crypto, { type KeyObject } from 'node:crypto';
import { simpleSigningPayload, type Digest } from '../../oci-spec/index.ts';
import { formatReference, parseReference } from '../reference.ts';
import { connectRegistry } from '../registry/connect.ts';
import type { Credentials } from '../registry/credentials.ts';
import { RegistrySource } from '../registry/source.ts';
import { attachSignature } from './attachment.ts';

export interface SignOptions {
  insecure?: boolean;
  credentials?: Partial<Credentials>;
  signal?: AbortSignal;
}

export interface SignResult {
  /** The image's full name as signed (the payload's docker-reference). */
  dockerReference: string;
  digest: Digest;
  /** The signature tag in the image's repository. */
  tag: string;
  /** False when this key's signature of this digest was already there. */
  added: boolean;
}

export async function signImage(reference: string, key: KeyObject, options: SignOptions = {}): Promise<SignResult> {
  const ref = parseReference(reference);
  const client = await connectRegistry(ref, options);
  const { digest } = await new RegistrySource(client).resolve(ref);
  // With the tag, as containers/image writes it: skopeo's default identity rule for a tag
  // (matchRepoDigestOrExact) wants the exact reference. A digest reference signs the repository.
  const dockerReference = formatReference({ registry: ref.registry, repository: ref.repository, ...(ref.tag !== undefined && ref.digest === undefined ? { tag: ref.tag } : {}) });
  const payload = simpleSigningPayload({ dockerReference, manifestDigest: digest });
  const signature = crypto.sign('sha256', payload, key).toString('base64');
  const attached = await attachSignature(client, digest, payload, signature, crypto.createPublicKey(key));
  return { dockerReference, digest, tag: attached.tag, added: attached.added };
}
