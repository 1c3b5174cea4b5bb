// `wasmbpf install` and `wasmbpf uninstall`: plan every file change first, show it, then write.
//
// Nothing is written until every check has passed (an unparsable config or a foreign file where a
// launcher goes fails the whole run), so a failed install leaves the node as it was. Each file is
// replaced by write-to-temp + rename in its own directory, so containerd never reads a half-written
// config and a running shim's launcher is never truncated under it. The config keeps its mode and
// owner.
import { chmod, chown, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { parsePublicKey } from '../../image/signature/keys.ts';
import { addWasmbpfRuntime, removeWasmbpfRuntime } from './containerd-config.ts';
import type { ConfigEdit } from './containerd-config.ts';
import { InstallError } from './errors.ts';
import { SHIM_BINARY } from '../../shim/names.ts';
import { CLI_BINARY, compileCacheDir, isOurLauncher, launchersFor } from './launchers.ts';
import type { Installation } from './launchers.ts';
import { addVerifySection, KEYS_DIR, removeVerifySection } from './node-config.ts';

export const DEFAULT_BIN_DIR = '/usr/local/bin';
export const DEFAULT_CONFIG = '/etc/containerd/config.toml';

export interface InstallOptions {
  readonly binDir: string;
  readonly configFile: string;
  readonly dryRun: boolean;
  /** Also write a `wasmbpf` launcher (install only; uninstall always removes ours if present). */
  readonly withCli: boolean;
  readonly installation: Installation;
  /** The shim's node file and its [verify] table (node-config.ts); absent: the file is not touched. */
  readonly nodeConfig?: NodeConfigOptions;
}

export interface NodeConfigOptions {
  readonly file: string;
  /** Public keys to copy beside the file and name in [verify] keys. */
  readonly verifyKeys: readonly string[];
  /** allow-unsigned = false: every image must be signed. */
  readonly requireSignatures: boolean;
}

export interface Output {
  out(text: string): void;
}

export interface InstallResult {
  /** Whether anything was (or, with dryRun, would be) changed. */
  readonly changed: boolean;
  /** Whether the containerd config changed, so containerd needs a restart. */
  readonly configChanged: boolean;
}

type FileChange = { path: string; text: string | null; mode: number; what: 'launcher' | 'config' | 'node-config' };

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InstallError('WASMBPF_INSTALL_IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function writeAtomic(link: string, text: string, mode: number): Promise<void> {
  // A config managed as a symlink (to a file elsewhere) is edited where it points: renaming
  // over the link would silently replace it with a copy.
  const path = await realpath(link).catch(() => link);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.wasmbpf-${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const before = await stat(path).catch(() => null);
    await writeFile(tmp, text, { mode });
    // writeFile's mode is filtered by the umask; the launcher must be executable regardless.
    await chmod(tmp, before ? before.mode & 0o7777 : mode);
    if (before) await chown(tmp, before.uid, before.gid);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new InstallError('WASMBPF_INSTALL_IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function apply(change: FileChange): Promise<void> {
  if (change.text !== null) return writeAtomic(change.path, change.text, change.mode);
  try {
    await rm(change.path, { force: true });
  } catch (err) {
    throw new InstallError('WASMBPF_INSTALL_IO', `cannot remove ${change.path}: ${(err as Error).message}`, { cause: err });
  }
}

function showConfigEdit(out: Output, file: string, before: string | null, edit: ConfigEdit): void {
  for (const note of edit.notes) out.out(`${note}\n`);
  if (!edit.changed) return;
  const patch = createTwoFilesPatch(
    before === null ? '/dev/null' : file,
    edit.text === null ? '/dev/null' : file,
    before ?? '',
    edit.text ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the "Index:"/"====" preamble: the ---/+++ headers are what `patch` and readers expect.
  out.out(patch.split('\n').filter((l, i) => i > 1 || !(l.startsWith('Index:') || l.startsWith('==='))).join('\n'));
}

function restartHint(out: Output, file: string): void {
  out.out(`containerd reads ${file} only when it starts: restart it (for example \`systemctl restart containerd\`) for the change to take effect.\n`);
}

export async function install(opts: InstallOptions, out: Output): Promise<InstallResult> {
  // Every check before any output or write: a bad config or an unbuilt tree fails cleanly.
  const before = await readOrNull(opts.configFile);
  const edit = addWasmbpfRuntime(before, opts.configFile);
  const launchers = launchersFor(opts.installation, { withCli: opts.withCli });
  const changes: FileChange[] = [];
  const lines: string[] = [];
  for (const l of launchers) {
    const path = join(opts.binDir, l.name);
    const current = await readOrNull(path);
    if (current === l.text) {
      lines.push(`${path} is up to date`);
      continue;
    }
    if (current !== null && !isOurLauncher(current)) {
      throw new InstallError('WASMBPF_INSTALL_CONFLICT', `${path} exists and was not written by wasmbpf install; remove it or choose another --bin-dir. Nothing was changed`);
    }
    const verb = current === null ? (opts.dryRun ? 'would write' : 'writing') : opts.dryRun ? 'would update' : 'updating';
    lines.push(`${verb} ${path} -> ${l.entry}`);
    changes.push({ path, text: l.text, mode: 0o755, what: 'launcher' });
  }
  for (const line of lines) out.out(`${line}\n`);
  showConfigEdit(out, opts.configFile, before, edit);
  if (edit.changed) changes.push({ path: opts.configFile, text: edit.text, mode: 0o644, what: 'config' });
  if (opts.nodeConfig) changes.push(...(await planNodeConfig(opts.nodeConfig, opts.dryRun, out)));

  // The launchers' compile cache (launchers.ts): a missing one costs only speed, so it is made
  // here without being counted as a change.
  if (!opts.dryRun) await mkdir(compileCacheDir(opts.installation), { recursive: true });
  // Launchers before the config: containerd never names a runtime whose binary is not there yet.
  return finish(opts, out, changes, 'launcher', 'wasmbpf is already installed: nothing to change');
}

export async function uninstall(opts: Omit<InstallOptions, 'withCli' | 'installation' | 'nodeConfig'> & { nodeConfigFile?: string }, out: Output): Promise<InstallResult> {
  const changes: FileChange[] = [];
  for (const name of [SHIM_BINARY, CLI_BINARY]) {
    const path = join(opts.binDir, name);
    const current = await readOrNull(path);
    if (current === null) continue;
    if (!isOurLauncher(current)) {
      out.out(`leaving ${path}: it was not written by wasmbpf install\n`);
      continue;
    }
    out.out(`${opts.dryRun ? 'would remove' : 'removing'} ${path}\n`);
    changes.push({ path, text: null, mode: 0, what: 'launcher' });
  }

  const before = await readOrNull(opts.configFile);
  const edit = removeWasmbpfRuntime(before, opts.configFile);
  showConfigEdit(out, opts.configFile, before, edit);
  if (edit.changed) changes.push({ path: opts.configFile, text: edit.text, mode: 0o644, what: 'config' });
  if (opts.nodeConfigFile) changes.push(...(await planNodeConfigRemoval(opts.nodeConfigFile, opts.dryRun, out)));

  // The config before the launchers: containerd never names a runtime whose binary is gone.
  return finish(opts, out, changes, 'config', 'wasmbpf is not installed there: nothing to remove');
}

/**
 * The [verify] block of the node file and the key files it names (copied into keys/ beside it).
 * Keys come first in the list, so the table never names a key that is not there yet.
 */
async function planNodeConfig(node: NodeConfigOptions, dryRun: boolean, out: Output): Promise<FileChange[]> {
  const keys = new Map<string, string>();
  for (const source of node.verifyKeys) {
    const name = basename(source);
    if (keys.has(name)) throw new InstallError('WASMBPF_INSTALL_CONFLICT', `two keys named ${name}: the keys are copied into ${join(dirname(node.file), KEYS_DIR)} by file name; rename one. Nothing was changed`);
    const text = await readOrNull(source);
    if (text === null) throw new InstallError('WASMBPF_INSTALL_IO', `cannot read the key ${source}: no such file. Nothing was changed`);
    try {
      parsePublicKey(text, source);
    } catch (error) {
      throw new InstallError('WASMBPF_INSTALL_CONFLICT', `${(error as Error).message}. Nothing was changed`, { cause: error });
    }
    keys.set(name, text);
  }
  const before = await readOrNull(node.file);
  const edit = addVerifySection(before, node.file, { keyFiles: [...keys.keys()], requireSignatures: node.requireSignatures });
  const changes: FileChange[] = [];
  if (edit.changed) {
    for (const [name, text] of keys) {
      const path = join(dirname(node.file), KEYS_DIR, name);
      const current = await readOrNull(path);
      if (current === text) continue;
      if (current !== null && !edit.previousKeyFiles.includes(name)) {
        throw new InstallError('WASMBPF_INSTALL_CONFLICT', `${path} exists and was not written by wasmbpf install; remove it or rename the key. Nothing was changed`);
      }
      out.out(`${dryRun ? 'would write' : 'writing'} ${path}\n`);
      changes.push({ path, text, mode: 0o644, what: 'node-config' });
    }
  }
  showConfigEdit(out, node.file, before, edit);
  if (edit.changed) changes.push({ path: node.file, text: edit.text, mode: 0o644, what: 'node-config' });
  for (const name of edit.changed ? edit.previousKeyFiles.filter((n) => !keys.has(n)) : []) {
    changes.push(...(await keyRemoval(join(dirname(node.file), KEYS_DIR, name), dryRun, out)));
  }
  return changes;
}

/** The [verify] block out of the node file first, then the keys it named. */
async function planNodeConfigRemoval(file: string, dryRun: boolean, out: Output): Promise<FileChange[]> {
  const before = await readOrNull(file);
  const edit = removeVerifySection(before, file);
  showConfigEdit(out, file, before, edit);
  if (!edit.changed) return [];
  const changes: FileChange[] = [{ path: file, text: edit.text, mode: 0o644, what: 'node-config' }];
  for (const name of edit.previousKeyFiles) changes.push(...(await keyRemoval(join(dirname(file), KEYS_DIR, name), dryRun, out)));
  return changes;
}

async function keyRemoval(path: string, dryRun: boolean, out: Output): Promise<FileChange[]> {
  if ((await readOrNull(path)) === null) return [];
  out.out(`${dryRun ? 'would remove' : 'removing'} ${path}\n`);
  return [{ path, text: null, mode: 0, what: 'node-config' }];
}

async function finish(
  opts: { dryRun: boolean; configFile: string },
  out: Output,
  changes: FileChange[],
  first: FileChange['what'],
  unchanged: string,
): Promise<InstallResult> {
  const configChanged = changes.some((c) => c.what === 'config');
  if (changes.length === 0) {
    out.out(`${unchanged}\n`);
    return { changed: false, configChanged: false };
  }
  if (opts.dryRun) {
    out.out('dry run: nothing was written\n');
    return { changed: true, configChanged };
  }
  for (const c of changes.filter((c) => c.what === first)) await apply(c);
  for (const c of changes.filter((c) => c.what !== first)) await apply(c);
  if (configChanged) restartHint(out, opts.configFile);
  return { changed: true, configChanged };
}
