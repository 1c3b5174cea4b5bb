// The two images the container benchmarks compare, as OCI layout tarballs for `ctr images
// import`, with their size as a registry stores them (manifest + config + layers):
//  - the wasmbpf image of the firstevent tool, packed by image/build.ts's packTool exactly as
//    `wasmbpf build` packs a compiled tool (module + the host architecture's eBPF object);
//  - the native image: the static firstevent binary alone in a one-layer rootfs, the layer
//    gzip-compressed the way `docker push` stores it (the smallest container of that tool).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTool } from '../image/build.ts';
import { hostArch, ociArchitecture } from '../oci-spec/index.ts';
import type { ContainerPrograms } from './container-build.ts';

export const WASM_IMAGE = 'localhost/wasmbpf-bench/firstevent:wasm';
export const NATIVE_IMAGE = 'localhost/wasmbpf-bench/firstevent:native';

export interface BenchImage {
  name: string;
  tarball: string;
  /** Bytes of the manifest, the config and every layer. */
  bytes: number;
  /** The parts of `bytes`, for the report. */
  parts: Record<string, number>;
}

export async function wasmImage(p: ContainerPrograms, dir: string): Promise<BenchImage> {
  const tarball = path.join(dir, 'firstevent-wasm.tar');
  const result = await packTool(
    { name: 'firstevent', wasmPath: p.wasm, objects: [{ arch: hostArch(), name: 'firstevent.bpf.o', path: p.object }], args: [] },
    { tag: WASM_IMAGE, output: tarball, home: path.join(dir, 'wasmbpf-home') },
  );
  const parts: Record<string, number> = {};
  for (const b of result.image.blobs) {
    const title = b.descriptor.annotations?.['org.opencontainers.image.title'];
    const key = b === result.image.blobs[0] ? 'manifest' : b.descriptor.mediaType.includes('config') ? 'config' : (title ?? b.descriptor.mediaType);
    parts[key] = (parts[key] ?? 0) + b.descriptor.size;
  }
  return { name: WASM_IMAGE, tarball, bytes: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

const sha = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export function nativeImage(p: ContainerPrograms, dir: string): BenchImage {
  const root = path.join(dir, 'native-rootfs');
  fs.mkdirSync(root);
  fs.copyFileSync(p.native, path.join(root, 'firstevent'));
  fs.chmodSync(path.join(root, 'firstevent'), 0o755);
  const layerTar = execFileSync('tar', ['-c', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '.'], { maxBuffer: 1 << 28 });
  const layer = gzipSync(layerTar, { level: 9 });
  const config = JSON.stringify({
    architecture: ociArchitecture(hostArch()),
    os: 'linux',
    config: { Entrypoint: ['/firstevent'] },
    rootfs: { type: 'layers', diff_ids: [sha(layerTar)] },
  });
  const desc = (mediaType: string, bytes: Uint8Array | string) => ({ mediaType, digest: sha(bytes), size: Buffer.byteLength(bytes) });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: desc('application/vnd.oci.image.config.v1+json', config),
    layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', layer)],
  });
  const layout = path.join(dir, 'native-layout');
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [layer, config, manifest]) fs.writeFileSync(path.join(layout, 'blobs', 'sha256', sha(blob).slice(7)), blob);
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...desc('application/vnd.oci.image.manifest.v1+json', manifest), annotations: { 'io.containerd.image.name': NATIVE_IMAGE } }],
  };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
  const tarball = path.join(dir, 'firstevent-native.tar');
  execFileSync('tar', ['-cf', tarball, '-C', layout, '.']);
  const parts = { manifest: Buffer.byteLength(manifest), config: Buffer.byteLength(config), 'rootfs layer (tar+gzip)': layer.length };
  return { name: NATIVE_IMAGE, tarball, bytes: parts.manifest + parts.config + parts['rootfs layer (tar+gzip)'], parts };
}
