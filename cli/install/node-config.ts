// The node config edit of `wasmbpf install` / `uninstall`: the `[verify]` table of the shim's
// node file (/etc/wasmbpf/shim.toml, container/verify-policy.ts), pure text in, text out.
//
// Like the containerd config edit (containerd-config.ts), it is one block between marker
// comments at the end of the file, so the admin's [policy] and [limits] tables and comments stay
// byte for byte and `uninstall` removes exactly what `install` added. The default block allows
// unsigned images; the switch (`--verify-key KEY.pub --require-signatures`) names the keys and
// sets allow-unsigned = false. Keys are copied beside the file (keys/NAME.pub) and named
// relative to it, so the same table works wherever the node's /etc/wasmbpf is mounted (the
// DaemonSet sees it as /host/etc/wasmbpf). A file with a [verify] table of its own is the
// admin's: it is left alone, with a note.
import { parse, TomlError } from 'smol-toml';
import type { ConfigEdit } from './containerd-config.ts';
import { InstallError } from './errors.ts';

export const DEFAULT_NODE_CONFIG_FILE = '/etc/wasmbpf/shim.toml';
/** The directory, beside the node file, that install copies public keys into. */
export const KEYS_DIR = 'keys';

const BEGIN = '# BEGIN wasmbpf: added by `wasmbpf install`; `wasmbpf uninstall` removes this block.';
const END = '# END wasmbpf';
const CREATED = '# wasmbpf install created this file; wasmbpf uninstall deletes it if nothing else is in it.';

export interface VerifySettings {
  /** File names under keys/ of the public keys signatures are checked with. */
  keyFiles: readonly string[];
  /** True: every image must be signed (allow-unsigned = false). */
  requireSignatures: boolean;
}

function block(settings: VerifySettings, created: boolean): string {
  const keys = settings.keyFiles.map((name) => JSON.stringify(`${KEYS_DIR}/${name}`)).join(', ');
  return [
    BEGIN,
    ...(created ? [CREATED] : []),
    '# Signed images (docs/SECURITY.md, "Signed images"): an image whose name matches `require`',
    '# (globs such as "registry.example.com/*") runs only if signed by one of `keys` (cosign',
    '# format: `wasmbpf sign`, cosign); with allow-unsigned = false, every image. The default lets',
    '# unsigned images run. The switch: `wasmbpf install --verify-key KEY.pub --require-signatures`',
    '# (the DaemonSet: WASMBPF_REQUIRE_SIGNATURES=true and the ConfigMap wasmbpf-verify-keys).',
    '[verify]',
    `keys = [${keys}]`,
    'require = []',
    `allow-unsigned = ${!settings.requireSignatures}`,
    END,
    '',
  ].join('\n');
}

interface MarkedBlock {
  start: number;
  end: number;
  body: string;
}

function findBlock(text: string, file: string): MarkedBlock | null {
  const inner = text.indexOf(`\n${BEGIN}\n`);
  const start = text.startsWith(`${BEGIN}\n`) ? 0 : inner < 0 ? -1 : inner + 1;
  if (start < 0) return null;
  const endLine = text.indexOf(`\n${END}`, start);
  if (endLine < 0) throw new InstallError('WASMBPF_NODE_CONFIG_EDIT', `${file} has the wasmbpf BEGIN marker but no "${END}" line after it; fix the block by hand`);
  const afterEnd = text.indexOf('\n', endLine + 1 + END.length);
  const end = afterEnd < 0 ? text.length : afterEnd + 1;
  return { start, end, body: text.slice(start, end) };
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line})` : '';
    throw new InstallError('WASMBPF_NODE_CONFIG_PARSE', `${file} is not valid TOML${where}: ${(error as Error).message}; nothing was changed`, { cause: error });
  }
}

/** The key files (under keys/) a block install wrote lists. */
function blockKeyFiles(body: string, file: string): string[] {
  const keys = (parseToml(body, file).verify as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) return [];
  return keys.filter((k): k is string => typeof k === 'string' && k.startsWith(`${KEYS_DIR}/`)).map((k) => k.slice(KEYS_DIR.length + 1));
}

export interface NodeConfigEdit extends ConfigEdit {
  /** Key files (under keys/) the block held before the edit: install's to replace or remove. */
  previousKeyFiles: readonly string[];
}

/** Adds (or updates) the [verify] block; leaves a file with its own [verify] table alone. */
export function addVerifySection(before: string | null, file: string, settings: VerifySettings): NodeConfigEdit {
  if (before === null) return { text: block(settings, true), changed: true, notes: [], previousKeyFiles: [] };
  const existing = findBlock(before, file);
  const outside = existing ? before.slice(0, existing.start) + before.slice(existing.end) : before;
  if (parseToml(outside, file).verify !== undefined) {
    return { text: before, changed: false, notes: [`${file} has a [verify] table of its own: left as it is (signed images: docs/SECURITY.md)`], previousKeyFiles: [] };
  }
  const previousKeyFiles = existing ? blockKeyFiles(existing.body, file) : [];
  const wanted = block(settings, existing?.body.includes(CREATED) ?? false);
  if (existing?.body === wanted) return { text: before, changed: false, notes: [], previousKeyFiles };
  const text = existing
    ? before.slice(0, existing.start) + wanted + before.slice(existing.end)
    : `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}${wanted}`;
  parseToml(text, file); // proves the result still parses before anything is written
  return { text, changed: true, notes: [], previousKeyFiles };
}

/** Removes the block; a file install created and that holds nothing else is deleted. */
export function removeVerifySection(before: string | null, file: string): NodeConfigEdit {
  if (before === null) return { text: null, changed: false, notes: [], previousKeyFiles: [] };
  const found = findBlock(before, file);
  if (!found) return { text: before, changed: false, notes: [], previousKeyFiles: [] };
  const previousKeyFiles = blockKeyFiles(found.body, file);
  const text = before.slice(0, found.start) + before.slice(found.end);
  if (found.body.includes(CREATED) && text.trim() === '') {
    return { text: null, changed: true, notes: [`${file} held only what wasmbpf install created: deleting it`], previousKeyFiles };
  }
  return { text, changed: true, notes: [], previousKeyFiles };
}
