// Test images for containerd.
//  - ctrRunnable(tarball): a layout tarball in the shape containerd 1.6's `ctr run` accepts (OCI
//    config media type, one empty-layer diff_id per layer; see shim/containerd-config.ts).
//    `wasmbpf build` writes that shape, so for its tarballs this is a copy; it converts images
//    made by other tools (e.g. wasm-bpf artifacts) for the tests.
//  - rootfsImage(files): an ordinary one-layer OCI image (runwasi style) from a map of paths.
//  - artifactImage(parts): a hand-made artifact image, for the broken-image tests.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_LAYER_DIFF_ID } from '../../shim/containerd-config.ts';

const sha = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

interface Blob { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

class Layout {
  readonly dir = mkdtempSync('/tmp/wbimg-');
  constructor() {
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }
  put(mediaType: string, bytes: Uint8Array | string, annotations?: Record<string, string>): Blob {
    const digest = sha(bytes);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { mediaType, digest, size: Buffer.byteLength(bytes), ...(annotations ? { annotations } : {}) };
  }
  finish(name: string, manifest: Blob, output: string): string {
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...manifest, annotations: { 'io.containerd.image.name': name } }] };
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify(index));
    execFileSync('tar', ['-cf', output, '-C', this.dir, '.']);
    rmSync(this.dir, { recursive: true, force: true });
    return output;
  }
}

export function artifactImage(name: string, output: string, parts: {
  config?: object; configMediaType?: string; layers: { mediaType: string; bytes: Uint8Array; annotations?: Record<string, string> }[]; rawManifest?: string;
}): string {
  const layout = new Layout();
  const layers = parts.layers.map((l) => layout.put(l.mediaType, l.bytes, l.annotations));
  const config = layout.put(parts.configMediaType ?? OCI_CONFIG, JSON.stringify(parts.config ?? {
    architecture: 'wasm', os: 'wasip1', config: { Entrypoint: ['tool'] }, rootfs: { type: 'layers', diff_ids: layers.map(() => EMPTY_LAYER_DIFF_ID) },
  }));
  const manifest = parts.rawManifest ?? JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers });
  return layout.finish(name, layout.put('application/vnd.oci.image.manifest.v1+json', manifest), output);
}

export function ctrRunnable(tarball: string, output: string): string {
  const dir = mkdtempSync('/tmp/wbimg-');
  try {
    execFileSync('tar', ['-xf', tarball, '-C', dir]);
    const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const entry = index.manifests[0];
    const manifest = JSON.parse(readFileSync(blob(entry.digest), 'utf8'));
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
    if (manifest.config.mediaType === OCI_CONFIG && config.rootfs?.diff_ids?.length === manifest.layers.length) {
      execFileSync('cp', [tarball, output]);
      return output;
    }
    config.rootfs = { type: 'layers', diff_ids: manifest.layers.map(() => EMPTY_LAYER_DIFF_ID) };
    const configBytes = JSON.stringify(config);
    writeFileSync(blob(sha(configBytes)), configBytes);
    manifest.config = { mediaType: OCI_CONFIG, digest: sha(configBytes), size: Buffer.byteLength(configBytes) };
    const manifestBytes = JSON.stringify(manifest);
    writeFileSync(blob(sha(manifestBytes)), manifestBytes);
    index.manifests[0] = { ...entry, digest: sha(manifestBytes), size: Buffer.byteLength(manifestBytes) };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    execFileSync('tar', ['-cf', output, '-C', dir, '.']);
    return output;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An ordinary OCI image: one tar layer with these files, Entrypoint as given (and the config's User, if given). */
export function rootfsImage(name: string, output: string, files: Record<string, Uint8Array>, entrypoint: string[], user?: string): string {
  const root = mkdtempSync('/tmp/wbroot-');
  const layout = new Layout();
  try {
    for (const [file, bytes] of Object.entries(files)) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), bytes, { mode: 0o755 });
    }
    const tar = execFileSync('tar', ['-c', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '.'], { maxBuffer: 1 << 28 });
    const layer = layout.put('application/vnd.oci.image.layer.v1.tar', tar);
    const config = layout.put(OCI_CONFIG, JSON.stringify({ architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux', config: { Entrypoint: entrypoint, ...(user ? { User: user } : {}) }, rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
    const manifest = layout.put('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }));
    return layout.finish(name, manifest, output);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
