// The soak test's image: test/fixtures/wbsoak (a tracepoint program and a ring
// buffer named wbsoak_*, polled until stopped) built by `wasmbpf build` from a copy of the
// folder (the build writes DIR/build, which must not land in the source tree).
import { cpSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './containerd.ts';
import { ctrRunnable } from './ctr-image.ts';
import { FIXTURE_DIR } from './shim-images.ts';

const source = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/wbsoak');

/** The names bpftool shows for the module's objects (program names are cut at 15 bytes). */
export const WBSOAK_PROGRAM = 'wbsoak_exec';
export const WBSOAK_MAP_PREFIX = 'wbsoak';

let built: string | undefined;
export function wbsoakImage(name: string): string {
  if (!built) {
    const dir = mkdtempSync(join(FIXTURE_DIR, 'wbsoak-'));
    cpSync(source, dir, { recursive: true });
    const raw = join(FIXTURE_DIR, 'wbsoak-raw.tar');
    execFileSync(join(REPO_ROOT, 'bin', 'wasmbpf'), ['build', dir, '-t', name, '-o', raw], {
      env: { ...process.env, WASMBPF_HOME: join(FIXTURE_DIR, 'home') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = ctrRunnable(raw, join(FIXTURE_DIR, 'wbsoak.tar'));
  }
  return built;
}
