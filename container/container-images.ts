// What the container layer asks containerd about a container's image: its name, what that name
// points at, and the image's blobs. The shim answers over containerd's gRPC API
// (shim/containerd-api.ts); the layer itself speaks no protocol.
import type { Descriptor } from '../oci-spec/index.ts';
import type { ContentSource } from '../image/content-source.ts';

export interface ContainerImages extends ContentSource {
  /** The image name the container was created from ('' when it was made from a bare rootfs). */
  containerImage(id: string): Promise<string>;
  imageTarget(name: string): Promise<Descriptor>;
}
