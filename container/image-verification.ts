// The node's signature policy, enforced at Create before the shim reads anything of the
// container's image (its rootfs module, its Wasm layer, its eBPF objects): when the node's
// [verify] table (verify-policy.ts) says the image needs a signature, the digest containerd
// recorded for the image's name must carry one by a node key in the image's registry, in
// cosign's layout (image/signature/). A refusal fails the Create, so `ctr run` and the kubelet
// show the image, the digest and the reason, and nothing of the image has been read.
//
// Only images the policy names cost anything: without a [verify] table, or with unsigned
// images allowed and no `require` pattern, containerd is not even asked for the image name.
import { parseReference } from '../image/reference.ts';
import { connectRegistry } from '../image/registry/connect.ts';
import { ImageSignatureError, SigningKeyError } from '../image/signature/errors.ts';
import { readVerificationKeys } from '../image/signature/key-files.ts';
import { verifyImageSignature, type VerifiedSignature } from '../image/signature/verify.ts';
import type { ContainerImages } from './container-images.ts';
import { ImageRefusedError, invalidArgument } from './errors.ts';
import { readVerifyPolicy, requiresSignature } from './verify-policy.ts';

export interface SignatureCheckInput {
  /** The container id. */
  id: string;
  /** The node's config file for this Create (runtime options' ConfigPath, else the default file when it exists); none: no policy. */
  nodeConfig?: string;
  api: () => ContainerImages;
}

/** Throws ImageRefusedError when the policy needs a signature the image lacks; what verified it otherwise. */
export async function enforceImageSignature(input: SignatureCheckInput): Promise<VerifiedSignature | undefined> {
  const file = input.nodeConfig;
  const policy = readVerifyPolicy(file);
  if (!policy || (policy.allowUnsigned && policy.require.length === 0)) return undefined;
  const why = `node policy [verify] in ${file}`;
  const api = input.api();
  const name = await api.containerImage(input.id);
  if (!name) {
    if (policy.allowUnsigned) return undefined;
    throw new ImageRefusedError('WASMBPF_SIGNATURE_MISSING', `container ${input.id} has no image whose signature could be checked, and every image must be signed (${why}: allow-unsigned = false)`);
  }
  let ref;
  try {
    ref = parseReference(name);
  } catch (error) {
    // Not a registry name (an image imported under a bare ID, say): no signature can be looked up.
    if (!requiresSignature(policy, name, name)) return undefined;
    throw new ImageRefusedError('WASMBPF_SIGNATURE_MISSING', `image ${name}: its name is not a registry reference, so no signature can be found for it (${why})`, { cause: error });
  }
  if (!requiresSignature(policy, name, `${ref.registry}/${ref.repository}`)) return undefined;
  const { digest } = await api.imageTarget(name);
  try {
    const keys = await readVerificationKeys(policy.keys);
    const client = await connectRegistry(ref);
    return await verifyImageSignature({ client, image: name, digest, keys });
  } catch (error) {
    if (error instanceof SigningKeyError) throw invalidArgument(`${why}: ${error.message}`, error);
    if (error instanceof ImageSignatureError) throw new ImageRefusedError(error.code, `${error.message} (${why})`, { cause: error });
    throw new ImageRefusedError('WASMBPF_SIGNATURE_UNAVAILABLE', `image ${name} (${digest}) is refused: its signature could not be checked: ${(error as Error).message} (${why})`, { cause: error });
  }
}
