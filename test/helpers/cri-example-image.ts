// The execsnoop example as an OCI image tarball for the CRI tests, built by this checkout's CLI
// into a private image store.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE = join(REPO, 'examples', 'execsnoop');

/** `wasmbpf build examples/execsnoop` into an OCI tarball; a placeholder command is a skip reason. */
export function buildExample(dir: string, ref: string): { tar: string } | { skip: string } {
  const tar = join(dir, 'execsnoop.tar');
  // A private image store: the build must not touch the user's ~/.wasmbpf.
  const env = { ...process.env, WASMBPF_HOME: join(dir, 'wasmbpf-home') };
  const r = spawnSync(join(REPO, 'bin', 'wasmbpf'), ['build', EXAMPLE, '-t', ref, '-o', tar], { encoding: 'utf8', timeout: 300_000, env });
  if (r.status !== 0 && /not available in this build yet/.test(r.stderr)) return { skip: '`wasmbpf build` is not implemented in this tree yet' };
  assert.equal(r.status, 0, `wasmbpf build ${EXAMPLE} failed:\n${r.stdout}${r.stderr}`);
  assert.ok(existsSync(tar), `wasmbpf build did not write ${tar}`);
  return { tar };
}
