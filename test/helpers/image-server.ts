// A minimal registry for the fault tests: serves one image (manifest tag v1 and its blobs)
// straight from a local store over plain HTTP on 127.0.0.1, and can stall one blob after
// half its body. Enough of the distribution API for pull; not a registry to push to.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImageStore } from '../../image/store.ts';
import { parseManifest, type Descriptor } from '../../oci-spec/index.ts';
import type { Cleanup } from './cleanup.ts';

export interface ServedImage {
  /** host:port */
  host: string;
  layers: Descriptor[];
}

export async function serveImage(t: Cleanup, home: string, manifestDescriptor: Descriptor, options: { stallBlob?: (layers: Descriptor[]) => string } = {}): Promise<ServedImage> {
  const store = ImageStore.open(home);
  const manifestBytes = await store.read(manifestDescriptor);
  const manifest = parseManifest(manifestBytes, manifestDescriptor.mediaType, 'manifest');
  const stall = options.stallBlob?.(manifest.layers);
  const stalled: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/manifests/v1')) {
      res.writeHead(200, { 'Content-Type': manifestDescriptor.mediaType, 'Content-Length': manifestBytes.length });
      res.end(manifestBytes);
      return;
    }
    const digest = url.split('/blobs/')[1] ?? '';
    const blob = [manifest.config, ...manifest.layers].find((d) => d.digest === digest);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    const bytes = await store.read(blob);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
    if (digest === stall) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2))); // then nothing, ever
      stalled.push(res);
      return;
    }
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of stalled) s.socket?.destroy();
    server.close();
  });
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, layers: manifest.layers };
}
