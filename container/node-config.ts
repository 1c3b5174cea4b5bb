// Reading the node's wasmbpf config file (/etc/wasmbpf/shim.toml, or the ConfigPath of the CRI
// runtime options; which file is the shim's business, shim/node-config.ts). Its tables are read
// where they are used: [policy] and [limits] by node-policy.ts, [process] by
// process-identity.ts, [verify] by verify-policy.ts, [shim] by the shim. The TOML parser is
// loaded on first use (~5 ms), so a node without the file never pays for it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { invalidArgument } from './errors.ts';

const require = createRequire(import.meta.url);
const parseToml = (text: string) => (require('smol-toml') as typeof import('smol-toml')).parse(text);

/**
 * The parsed file of each path, kept while the file is unchanged: one Create asks for four of its
 * tables, and a node's server serves many Creates, so the file is parsed once per edit, not once
 * per table. A changed file (another mtime, size or inode) is read again.
 */
const parsed = new Map<string, { stamp: string; tables: Readonly<Record<string, unknown>> }>();

/** The file's tables. A file that exists but cannot be read or parsed is an error, never "no settings". */
export function readNodeConfig(file: string): Readonly<Record<string, unknown>> {
  try {
    const st = fs.statSync(file, { bigint: true });
    const stamp = `${st.ino}/${st.size}/${st.mtimeNs}`;
    const kept = parsed.get(file);
    if (kept?.stamp === stamp) return kept.tables;
    const tables = parseToml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    parsed.set(file, { stamp, tables });
    return tables;
  } catch (error) {
    throw invalidArgument(`the node's wasmbpf config ${file} cannot be read: ${(error as Error).message}`, error);
  }
}
