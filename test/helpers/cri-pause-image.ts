// Builds the pod sandbox ("pause") image for the CRI tests locally: no registry, no internet.
//
// The CRI plugin starts every pod with its `sandbox_image`, normally registry.k8s.io/pause,
// pulled from the network. Here a tiny static C program (sleep until SIGTERM/SIGINT, reap
// children like the real pause) is compiled with `gcc -static` and packed by hand as a one-layer
// OCI image-layout tarball, which `ctr images import` takes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { WasmbpfError } from '../../errors/index.ts';

const PAUSE_C = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void on_term(int sig) { (void)sig; _exit(0); }
static void on_child(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, on_term);
  signal(SIGTERM, on_term);
  signal(SIGCHLD, on_child);
  for (;;) pause();
}
`;

export class PauseImageError extends WasmbpfError {
  readonly code = 'WASMBPF_TEST_PAUSE_IMAGE';
}

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function tarOf(entries: { name: string; data: Buffer; mode: number }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    // A fixed mtime keeps the layer digest reproducible.
    p.entry({ name: e.name, mode: e.mode, uid: 0, gid: 0, mtime: new Date(0) }, e.data);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes `<dir>/pause-image.tar` (OCI layout) for image `ref`, compiling the binary in `dir`. */
export async function buildPauseImage(dir: string, ref: string): Promise<string> {
  const arch = OCI_ARCH[process.arch];
  if (!arch) throw new PauseImageError(`no OCI architecture name for ${process.arch}`);
  const src = join(dir, 'pause.c');
  const bin = join(dir, 'pause');
  writeFileSync(src, PAUSE_C);
  const cc = spawnSync('gcc', ['-static', '-O2', '-s', '-o', bin, src], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    throw new PauseImageError(`gcc -static failed (needs gcc and libc6-dev): ${cc.error?.message ?? cc.stderr}`, { cause: cc.error });
  }

  const layer = await tarOf([{ name: 'pause', data: readFileSync(bin), mode: 0o755 }]);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Entrypoint: ['/pause'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          platform: { architecture: arch, os: 'linux' },
          annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref.split(':').pop() ?? 'latest' },
        },
      ],
    }),
  );
  const blob = (b: Buffer) => ({ name: `blobs/sha256/${sha256(b).slice('sha256:'.length)}`, data: b, mode: 0o644 });
  const layout = await tarOf([
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}'), mode: 0o644 },
    { name: 'index.json', data: index, mode: 0o644 },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
  const out = join(dir, 'pause-image.tar');
  writeFileSync(out, layout);
  return out;
}
