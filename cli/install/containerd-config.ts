// The containerd config edit of `wasmbpf install` / `uninstall`: pure text in, text out.
//
// The edit is surgical: one block between marker comments, appended at the end of the file, so
// the operator's formatting, comments and other runtimes stay byte-for-byte and `uninstall`
// removes exactly what `install` added. smol-toml parses the file before and after to check the
// version, find conflicts and prove the result means what we intend; it never re-serializes
// (that would drop every comment). Appending is valid TOML because a `[a.b.c]` header may follow
// any other table; where it is not (the parents were written as inline tables), the parse of the
// result catches it and the operator gets the snippet to add by hand.
//
// What the block holds:
// - the CRI runtime entry for handler `wasmbpf`. `ctr`/`nerdctl` need no config for
//   `--runtime io.containerd.wasmbpf.v1` (containerd finds the shim on its PATH), but the CRI
//   plugin only runs handlers its config names. It lets the `wasmbpf.io/*` pod and container
//   annotations through to the shim: they carry the eBPF policy knobs;
// - the runc entry, when the config names no runtime of its own: containerd replaces its
//   built-in runtimes table with the config's, so naming only `wasmbpf` would drop runc, the
//   default runtime, and the CRI plugin would refuse to load ("no corresponding runtime
//   configured ... default_runtime_name = runc"), taking every pod on the node down with it;
// - the stream processor that lets containerd 1.6 unpack wasmbpf's artifact layers (see
//   shim/containerd-config.ts), unless the config already has it.
import { parse, TomlError } from 'smol-toml';
import type { TomlTable, TomlValue } from 'smol-toml';
import { STREAM_PROCESSOR_ID, streamProcessorToml } from '../../shim/containerd-config.ts';
import { InstallError } from './errors.ts';

import { RUNTIME_TYPE } from '../../shim/names.ts';

export { RUNTIME_TYPE };
const RUNC_RUNTIME_TYPE = 'io.containerd.runc.v2';
export const CRI_HANDLER = 'wasmbpf';

const BEGIN = '# BEGIN wasmbpf: added by `wasmbpf install`; `wasmbpf uninstall` removes this block.';
const END = '# END wasmbpf';
const CREATED = '# wasmbpf install created this file; wasmbpf uninstall deletes it if nothing else is in it.';

/** Where the CRI plugin keeps its runtimes, per config version (2: containerd 1.x, 3: 2.x). */
const CRI_PLUGIN: Record<2 | 3, string> = {
  2: 'io.containerd.grpc.v1.cri',
  3: 'io.containerd.cri.v1.runtime',
};

export interface ConfigEdit {
  /** The new text; `null` means delete the file. Equal to the input when `changed` is false. */
  readonly text: string | null;
  readonly changed: boolean;
  /** Sentences for the operator: why nothing changed, what to watch out for. */
  readonly notes: readonly string[];
}

function runtimesPath(version: 2 | 3): string[] {
  return ['plugins', CRI_PLUGIN[version], 'containerd', 'runtimes'];
}

function runtimeTablePath(version: 2 | 3): string[] {
  return [...runtimesPath(version), CRI_HANDLER];
}

function tableHeader(version: 2 | 3, runtime: string): string {
  return `[plugins."${CRI_PLUGIN[version]}".containerd.runtimes.${runtime}]`;
}

/** The TOML we add for the handler, for messages that ask the operator to add it by hand. */
export function runtimeSnippet(version: 2 | 3 = 2): string {
  return [
    tableHeader(version, CRI_HANDLER),
    `  runtime_type = "${RUNTIME_TYPE}"`,
    '  # Let the eBPF policy annotations (wasmbpf.io/*) through to the shim.',
    '  pod_annotations = ["wasmbpf.io/*"]',
    '  container_annotations = ["wasmbpf.io/*"]',
  ].join('\n');
}

interface BlockParts {
  /** `version = N` first: the file sets nothing else, so containerd would read it as version 1. */
  withVersion: boolean;
  /** The marker saying install created the file (uninstall then deletes it when empty). */
  created: boolean;
  /** The runc runtime, because the config names no runtime of its own (see the top comment). */
  withRunc: boolean;
  withStreamProcessor: boolean;
}

function block(version: 2 | 3, parts: BlockParts): string {
  const lines = [BEGIN];
  if (parts.created) lines.push(CREATED);
  // The key must precede every table header, which holds inside our block there.
  if (parts.withVersion) lines.push(`version = ${version}`);
  lines.push(runtimeSnippet(version));
  if (parts.withRunc) {
    lines.push(
      '# containerd drops its built-in runtimes once the config names one: keep runc, the default.',
      tableHeader(version, 'runc'),
      `  runtime_type = "${RUNC_RUNTIME_TYPE}"`,
    );
  }
  if (parts.withStreamProcessor) {
    lines.push('# Unpack wasmbpf artifact layers (Wasm module, eBPF objects) as empty layers.', streamProcessorToml().trimEnd());
  }
  lines.push(END);
  return `${lines.join('\n')}\n`;
}

/** What the block must carry for a config whose other content parses to `rest`. */
function blockParts(rest: TomlTable, version: 2 | 3, created: boolean): BlockParts {
  const runtimes = lookup(rest, runtimesPath(version));
  const namesAny = runtimes !== undefined && typeof runtimes === 'object' && runtimes !== null && Object.keys(runtimes).length > 0;
  return {
    withVersion: Object.keys(rest).length === 0,
    created,
    withRunc: !namesAny,
    withStreamProcessor: lookup(rest, ['stream_processors', STREAM_PROCESSOR_ID]) === undefined,
  };
}

function parseConfig(text: string, file: string): TomlTable {
  try {
    return parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    const first = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new InstallError('WASMBPF_CONTAINERD_CONFIG_PARSE', `${file} is not valid TOML${where}: ${first}; nothing was changed`, { cause: err });
  }
}

function lookup(table: TomlTable, path: readonly string[]): TomlValue | undefined {
  let cur: TomlValue | undefined = table;
  for (const key of path) {
    if (cur === undefined || typeof cur !== 'object' || cur === null || Array.isArray(cur) || cur instanceof Date) return undefined;
    cur = (cur as TomlTable)[key];
  }
  return cur;
}

/** The config version, or `null` for a file that sets nothing at all (empty or comments only). */
function configVersion(table: TomlTable, file: string): 2 | 3 | null {
  const v = table.version;
  if (v === undefined && Object.keys(table).length === 0) return null;
  if (v === 2 || v === 3) return v;
  const shown = v === undefined ? 'has no `version` key, so containerd reads it as version 1' : `says version = ${String(v)}`;
  throw new InstallError(
    'WASMBPF_CONTAINERD_CONFIG_VERSION',
    `${file} ${shown}; wasmbpf install edits version 2 (containerd 1.x) and 3 (containerd 2.x) configs only. ` +
      'Convert it to version 2 (`containerd config default` prints one to start from), ' +
      `or add the runtime by hand (version 1 names the CRI plugin "cri"):\n[plugins.cri.containerd.runtimes.${CRI_HANDLER}]\n  runtime_type = "${RUNTIME_TYPE}"`,
  );
}

interface MarkedBlock {
  /** Index of the first character of the BEGIN line. */
  start: number;
  /** Index just past the END line's newline (or the end of the text). */
  end: number;
  body: string;
}

function findBlock(text: string, file: string): MarkedBlock | null {
  const start = lineIndexOf(text, BEGIN);
  if (start < 0) return null;
  if (lineIndexOf(text, BEGIN, start + 1) >= 0) {
    throw new InstallError('WASMBPF_CONTAINERD_CONFIG_EDIT', `${file} holds the wasmbpf block twice; remove one copy by hand`);
  }
  const endLine = lineIndexOf(text, END, start);
  if (endLine < 0) {
    throw new InstallError('WASMBPF_CONTAINERD_CONFIG_EDIT', `${file} has the wasmbpf BEGIN marker but no "${END}" line after it; fix the block by hand`);
  }
  const nl = text.indexOf('\n', endLine);
  const end = nl < 0 ? text.length : nl + 1;
  return { start, end, body: text.slice(start, end) };
}

/** Index of a line that is exactly `line` (no leading text), at or after `from`; -1 if none. */
function lineIndexOf(text: string, line: string, from = 0): number {
  let i = text.indexOf(line, from);
  while (i >= 0) {
    const atLineStart = i === 0 || text[i - 1] === '\n';
    const next = text[i + line.length];
    if (atLineStart && (next === undefined || next === '\n' || next === '\r')) return i;
    i = text.indexOf(line, i + 1);
  }
  return -1;
}

function criPluginDisabled(table: TomlTable, version: 2 | 3): boolean {
  const disabled = table.disabled_plugins;
  if (!Array.isArray(disabled)) return false;
  const names = version === 2 ? ['io.containerd.grpc.v1.cri', 'cri'] : ['io.containerd.grpc.v1.cri', CRI_PLUGIN[3]];
  return disabled.some((d) => typeof d === 'string' && names.includes(d));
}

/** Checks that `text` parses and names our runtime; guards every edit before it is written. */
function verify(text: string, file: string, version: 2 | 3): void {
  let table: TomlTable;
  try {
    table = parse(text);
  } catch (err) {
    throw new InstallError(
      'WASMBPF_CONTAINERD_CONFIG_EDIT',
      `appending the wasmbpf runtime to ${file} would make it invalid TOML (its CRI plugin section is probably written as inline tables); nothing was changed. Add this to the CRI plugin's runtimes by hand:\n${runtimeSnippet(version)}`,
      { cause: err },
    );
  }
  const rt = lookup(table, [...runtimeTablePath(version), 'runtime_type']);
  if (rt !== RUNTIME_TYPE) {
    throw new InstallError('WASMBPF_CONTAINERD_CONFIG_EDIT', `after the edit ${file} does not name ${RUNTIME_TYPE} for handler ${CRI_HANDLER}; nothing was changed`);
  }
  const missing = missingDefaultRuntime(table, version);
  if (missing !== null) {
    throw new InstallError(
      'WASMBPF_CONTAINERD_CONFIG_EDIT',
      `${file} sets default_runtime_name = "${missing}" but configures no runtime of that name; containerd's CRI plugin would not load. Fix that first; nothing was changed`,
    );
  }
}

/**
 * The CRI plugin refuses to load when the config names runtimes but not its default one (then
 * containerd's built-in runc is gone). Returns that default's name, or null when all is well.
 */
function missingDefaultRuntime(table: TomlTable, version: 2 | 3): string | null {
  const runtimes = lookup(table, runtimesPath(version));
  if (runtimes === undefined || typeof runtimes !== 'object' || runtimes === null || Object.keys(runtimes).length === 0) return null;
  const name = lookup(table, ['plugins', CRI_PLUGIN[version], 'containerd', 'default_runtime_name']) ?? 'runc';
  return typeof name === 'string' && lookup(table, [...runtimesPath(version), name]) === undefined ? name : null;
}

/**
 * Adds the wasmbpf runtime to a containerd config. `original` is the file's text, or `null` when
 * the file does not exist (a minimal version 2 config is created). Idempotent.
 */
export function addWasmbpfRuntime(original: string | null, file: string): ConfigEdit {
  const notes: string[] = [];
  if (original === null) {
    const text = block(2, blockParts({}, 2, true));
    verify(text, file, 2);
    return { text, changed: true, notes: [`${file} does not exist: creating a minimal version 2 config`] };
  }
  const existing = findBlock(original, file);
  // Decide from the config without our block, so a re-run computes the same block, and so a
  // table the operator added since (say runc) and our block now duplicates gets fixed by
  // rewriting the block rather than reported as a parse error.
  const restText = existing ? original.slice(0, existing.start) + original.slice(existing.end) : original;
  let rest: TomlTable;
  try {
    rest = parse(restText);
  } catch {
    parseConfig(original, file); // reports the error at its position in the file as it is
    rest = parseConfig(restText, file);
  }
  const version = configVersion(rest, file);
  const v = version ?? 2;
  if (version !== null && criPluginDisabled(rest, v)) {
    notes.push(`the CRI plugin is listed in disabled_plugins in ${file}: Kubernetes cannot use handler "${CRI_HANDLER}" until it is enabled (ctr and nerdctl work regardless)`);
  }

  if (existing) {
    // Ours already: keep it if it is what we would write now, else rewrite it in place.
    const wanted = block(v, blockParts(rest, v, existing.body.includes(CREATED)));
    if (existing.body === wanted) {
      return { text: original, changed: false, notes: [...notes, `${file} already has the wasmbpf runtime (handler "${CRI_HANDLER}")`] };
    }
    const text = original.slice(0, existing.start) + wanted + original.slice(existing.end);
    verify(text, file, v);
    return { text, changed: true, notes: [...notes, `updating the wasmbpf block in ${file}`] };
  }

  const entry = lookup(rest, runtimeTablePath(v));
  if (entry !== undefined) {
    const rt = lookup(rest, [...runtimeTablePath(v), 'runtime_type']);
    if (rt === RUNTIME_TYPE) {
      return { text: original, changed: false, notes: [...notes, `${file} already configures handler "${CRI_HANDLER}" (written by hand, so uninstall will leave it)`] };
    }
    throw new InstallError(
      'WASMBPF_CONTAINERD_CONFIG_CONFLICT',
      `${file} already has a CRI runtime named "${CRI_HANDLER}" with runtime_type ${JSON.stringify(rt ?? null)}; remove or rename it, then run wasmbpf install again`,
    );
  }

  // One '\n' before the block: a blank line after a file that ends with a newline, or the
  // missing final newline of one that does not. Either way uninstall removes that one character.
  const sep = original === '' ? '' : '\n';
  const text = original + sep + block(v, blockParts(rest, v, false));
  verify(text, file, v);
  return { text, changed: true, notes };
}

/** Removes exactly the block `addWasmbpfRuntime` added; anything else in the file stays as is. */
export function removeWasmbpfRuntime(original: string | null, file: string): ConfigEdit {
  if (original === null) return { text: null, changed: false, notes: [`${file} does not exist: nothing to remove`] };
  const found = findBlock(original, file);
  if (!found) {
    const notes = [`${file} has no wasmbpf block: nothing to remove`];
    try {
      const table = parse(original);
      const v = table.version === 3 ? 3 : 2;
      if (lookup(table, runtimeTablePath(v)) !== undefined) notes.push(`handler "${CRI_HANDLER}" is configured outside the wasmbpf block (by hand); leaving it`);
    } catch {
      // Unparsable and without our block: there is nothing of ours to remove either way.
    }
    return { text: original, changed: false, notes };
  }
  // Undo the one '\n' install wrote before the block (see addWasmbpfRuntime). If the operator
  // has since put text after the block and removed the blank line before it, that '\n' now ends
  // their line: keep it.
  let start = found.start;
  const atEnd = found.end === original.length;
  if (start > 0 && original[start - 1] === '\n' && (atEnd || original[start - 2] === '\n' || start === 1)) start -= 1;
  const text = original.slice(0, start) + original.slice(found.end);
  if (found.body.includes(CREATED) && text.trim() === '') {
    return { text: null, changed: true, notes: [`${file} held only what wasmbpf install created: deleting it`] };
  }
  if (text === original) return { text, changed: false, notes: [] };
  // Never write what does not parse, even though we only removed lines we own.
  let table: TomlTable;
  try {
    table = parse(text);
  } catch (err) {
    throw new InstallError('WASMBPF_CONTAINERD_CONFIG_EDIT', `removing the wasmbpf block from ${file} would leave invalid TOML; nothing was changed. Remove it by hand`, { cause: err });
  }
  // The block may carry the runc entry; if runtimes were added by hand since, removing it would
  // leave runtimes without the default one, and containerd's CRI plugin would not load.
  const missing = missingDefaultRuntime(table, table.version === 3 ? 3 : 2);
  if (missing !== null) {
    throw new InstallError(
      'WASMBPF_CONTAINERD_CONFIG_EDIT',
      `removing the wasmbpf block from ${file} would leave CRI runtimes without "${missing}", the default runtime (the block defined it); add a "${missing}" runtime outside the block first. Nothing was changed`,
    );
  }
  return { text, changed: true, notes: [] };
}
