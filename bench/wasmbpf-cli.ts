// Which JavaScript `bin/wasmbpf` runs: the tsc build in dist/ when dist/.stamp is newer than
// every source file (the installed, production path), else the TypeScript through tsx. Start-up
// time differs a lot between the two, so the benchmark builds first when it may and records
// which path it measured.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIRS } from '../cli/install/launchers.ts';
import type { Program } from './measure.ts';

const root = path.resolve(import.meta.dirname, '..');

export type JsPath = 'dist' | 'tsx';

export interface WasmbpfCli {
  path: JsPath;
  /** Why the tsx path was used, when it was. */
  note?: string;
  /** `wasmbpf run [RUN_FLAGS...] WASM`. */
  program(wasm: string, runFlags?: string[]): Program;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** True when dist/.stamp exists and no source is newer (the test bin/wasmbpf makes). */
export function distIsFresh(): boolean {
  let stamp: number;
  try {
    stamp = fs.statSync(path.join(root, 'dist', '.stamp')).mtimeMs;
  } catch {
    return false;
  }
  return SOURCE_DIRS.every((d) => !fs.existsSync(path.join(root, d)) || newestSource(path.join(root, d)) <= stamp);
}

/** Runs `npm run build` when dist is missing or stale (and build is allowed); reports the path bin/wasmbpf will take. */
export function prepareWasmbpfCli(build: boolean): WasmbpfCli {
  let note: string | undefined;
  if (!distIsFresh()) {
    if (!build) note = 'dist/ missing or stale and building was not allowed (--quick or --no-build)';
    else {
      try {
        execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        const out = `${(err as { stdout?: Buffer }).stdout?.toString() ?? ''}`.trim().split('\n').slice(-3).join(' ');
        note = `npm run build failed: ${out}`;
      }
    }
  }
  const fresh = distIsFresh();
  if (fresh) note = undefined;
  else note ??= 'dist/ is stale';
  // bin/wasmbpf takes tsx whenever WASMBPF_DEV is set (scripts/test sets it): clear it so the
  // path chosen is the one recorded.
  const env = { ...process.env };
  delete env.WASMBPF_DEV;
  const cli: WasmbpfCli = {
    path: fresh ? 'dist' : 'tsx',
    program: (wasm, runFlags = []) => ({ command: path.join(root, 'bin', 'wasmbpf'), args: ['run', ...runFlags, wasm], env }),
  };
  if (note) cli.note = note;
  return cli;
}
