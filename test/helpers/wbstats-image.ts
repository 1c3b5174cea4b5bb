// The observability tests' image: test/fixtures/wbstats (getpgid(MARKER) records
// through a ring and a perf buffer; "slow" drops perf records) built by `wasmbpf build` from a
// copy of the folder (the build writes DIR/build, which must not land in the source tree).
import { cpSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './containerd.ts';
import { ctrRunnable } from './ctr-image.ts';
import { FIXTURE_DIR } from './shim-images.ts';

const source = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/wbstats');

let built: { image: string; wasm: string } | undefined;
function build(name: string): { image: string; wasm: string } {
  if (!built) {
    const dir = mkdtempSync(join(FIXTURE_DIR, 'wbstats-'));
    cpSync(source, dir, { recursive: true });
    const raw = join(FIXTURE_DIR, 'wbstats-raw.tar');
    execFileSync(join(REPO_ROOT, 'bin', 'wasmbpf'), ['build', dir, '-t', name, '-o', raw], {
      env: { ...process.env, WASMBPF_HOME: join(FIXTURE_DIR, 'home') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = { image: ctrRunnable(raw, join(FIXTURE_DIR, 'wbstats.tar')), wasm: join(dir, 'build', 'wbstats.wasm') };
  }
  return built;
}

/** The image tarball for `ctr images import`. */
export function wbstatsImage(name: string): string {
  return build(name).image;
}

/** The bare module (for `wasmbpf run`). */
export function wbstatsWasm(): string {
  return build('localhost/wasmbpf-test/wbstats:bare').wasm;
}

/** A marker no other test's getpgid uses: above pid_max, so getpgid fails with ESRCH and finds no process. */
export function uniqueMarker(): number {
  return 2 ** 30 + ((process.pid * 1009 + Math.floor(Math.random() * 1_000_000)) % 2 ** 29);
}

/** n calls of getpgid(marker), from one CPU (cpu 0), so a perf buffer's records all land in one per-CPU buffer. */
export function emitRecords(marker: number, n: number): void {
  execFileSync('taskset', ['-c', '0', 'python3', '-c',
    `import os\nfor i in range(${n}):\n  try: os.getpgid(${marker})\n  except ProcessLookupError: pass\n`]);
}
