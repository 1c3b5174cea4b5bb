// An example of examples/ as an OCI image tarball, as a user makes one: `wasmbpf build` with
// this checkout's CLI, from a copy of the example's folder (the build writes DIR/build, which
// must not land in the tree), into a private image store (never the user's ~/.wasmbpf). Its
// tarball is in the shape containerd 1.6's `ctr images import` and `ctr run` accept.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './examples.ts';

/** examples/NAME built and tagged REF, written to DIR/NAME.tar (DIR also holds the copy and the store). */
export function buildExampleImage(name: string, ref: string, dir: string): string {
  const src = join(dir, `${name}-src`);
  cpSync(join(ROOT, 'examples', name), src, { recursive: true, filter: (p) => !p.endsWith('/build') });
  const tar = join(dir, `${name}.tar`);
  execFileSync(join(ROOT, 'bin', 'wasmbpf'), ['build', src, '-t', ref, '-o', tar], {
    env: { ...process.env, WASMBPF_HOME: join(dir, 'wasmbpf-home') },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 300_000,
  });
  return tar;
}
