// The few calls the shim makes on containerd's gRPC API (@grpc/grpc-js, messages from the
// vendored protos): which image a container was made from, what that image's name points at,
// and reading blobs from the content store. This is how artifact images run: their module and
// eBPF layers are not a root filesystem, so they never appear in the bundle's rootfs, but
// containerd keeps every blob of an imported or pulled image in its content store.
import * as grpc from '@grpc/grpc-js';
import { verifyBlob, type Descriptor } from '../oci-spec/index.ts';
import type { ContentSource } from '../image/content-source.ts';
import { Grpc, type Codec } from './protos.ts';
import { ShimError } from './errors.ts';

const CALL_TIMEOUT_MS = 30_000;
/**
 * Blobs read and verified are kept by digest, up to this many bytes: a server starts many
 * containers of the same few images (a node's server, every container of the namespace), and a
 * blob's digest names its bytes for good, so the next Create of an image reads no blob again
 * (index, manifest, config, module and eBPF objects: about 10 ms of gRPC streams here).
 */
const BLOB_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A call on containerd failed. containerd's NotFound (no such container, image or blob) is the
 * shim's own WASMBPF_SHIM_NOT_FOUND, so containerd's caller sees NotFound again; any other
 * failure means containerd could not serve the call (WASMBPF_SHIM_CONTAINERD_API: Unavailable).
 */
export class ContainerdApiError extends ShimError {
  constructor(readonly grpcCode: number, method: string, message: string, options?: ErrorOptions) {
    super(grpcCode === grpc.status.NOT_FOUND ? 'WASMBPF_SHIM_NOT_FOUND' : 'WASMBPF_SHIM_CONTAINERD_API', `containerd ${method}: ${message}`, options);
  }
}

export class ContainerdApi implements ContentSource {
  readonly label: string;
  readonly #client: grpc.Client;
  readonly #metadata: grpc.Metadata;
  /** Verified blobs by digest, least recently used first (the Map's order). */
  readonly #blobs = new Map<string, Uint8Array>();
  #blobBytes = 0;

  constructor(grpcAddress: string, namespace: string) {
    const path = grpcAddress.replace(/^unix:\/\//, '');
    this.label = `containerd's content store (${path}, namespace ${namespace})`;
    this.#client = new grpc.Client(`unix://${path}`, grpc.credentials.createInsecure());
    this.#metadata = new grpc.Metadata();
    this.#metadata.set('containerd-namespace', namespace);
  }

  /** The image name the container was created from ('' when it was made from a bare rootfs). */
  async containerImage(id: string): Promise<string> {
    const res = await this.#unary('/containerd.services.containers.v1.Containers/Get', Grpc.GetContainerRequest, Grpc.GetContainerResponse, { id });
    return res.container.image;
  }

  async imageTarget(name: string): Promise<Descriptor> {
    const res = await this.#unary('/containerd.services.images.v1.Images/Get', Grpc.GetImageRequest, Grpc.GetImageResponse, { name });
    if (!res.image) throw new ContainerdApiError(grpc.status.NOT_FOUND, 'Images.Get', `image ${name} not found`);
    const { mediaType, digest, size, annotations } = res.image.target;
    return { mediaType, digest, size, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) } as Descriptor;
  }

  /** A blob's bytes, checked against the descriptor's size and digest. */
  async read(descriptor: Descriptor, what = 'blob'): Promise<Uint8Array> {
    const cached = this.#blobs.get(descriptor.digest);
    if (cached && cached.byteLength === descriptor.size) {
      this.#blobs.delete(descriptor.digest);
      this.#blobs.set(descriptor.digest, cached);
      return cached;
    }
    const bytes = await this.#readFromStore(descriptor, what);
    this.#keep(descriptor.digest, bytes);
    return bytes;
  }

  #keep(digest: string, bytes: Uint8Array): void {
    if (bytes.byteLength > BLOB_CACHE_BYTES / 4 || this.#blobs.has(digest)) return;
    this.#blobs.set(digest, bytes);
    this.#blobBytes += bytes.byteLength;
    for (const [key, blob] of this.#blobs) {
      if (this.#blobBytes <= BLOB_CACHE_BYTES) break;
      this.#blobs.delete(key);
      this.#blobBytes -= blob.byteLength;
    }
  }

  async #readFromStore(descriptor: Descriptor, what: string): Promise<Uint8Array> {
    const stream = this.#client.makeServerStreamRequest(
      '/containerd.services.content.v1.Content/Read',
      (m: { digest: string }) => Buffer.from(Grpc.ReadContentRequest.encode(m)),
      (b: Buffer) => Grpc.ReadContentResponse.decode(b),
      { digest: descriptor.digest },
      this.#metadata,
      { deadline: Date.now() + CALL_TIMEOUT_MS },
    );
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of stream as AsyncIterable<{ data: Buffer }>) {
        total += chunk.data.length;
        if (total > descriptor.size) throw new ShimError('WASMBPF_SHIM_CONTENT', `${what} ${descriptor.digest} is larger than its descriptor's ${descriptor.size} bytes`);
        chunks.push(chunk.data);
      }
    } catch (error) {
      stream.cancel();
      if (error instanceof ShimError) throw error;
      const e = error as grpc.ServiceError;
      throw new ContainerdApiError(e.code ?? grpc.status.UNKNOWN, 'Content.Read', `${what} ${descriptor.digest}: ${e.details ?? e.message}`, { cause: error });
    }
    const bytes = Buffer.concat(chunks);
    verifyBlob(descriptor, bytes, what);
    return bytes;
  }

  close(): void {
    this.#client.close();
  }

  #unary<Req, Res>(path: string, req: Codec<Req>, res: Codec<Res>, message: Partial<Req>): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        path,
        (m: Partial<Req>) => Buffer.from(req.encode(m)),
        (b: Buffer) => res.decode(b),
        message,
        this.#metadata,
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (error: grpc.ServiceError | null, value?: Res) => {
          if (error) reject(new ContainerdApiError(error.code, path.split('/').slice(-2).join('.'), error.details || error.message, { cause: error }));
          else resolve(value!);
        },
      );
    });
  }
}
