// Command-line options shared by `wasmbpf install` and `wasmbpf uninstall`, parsed with
// node:util's parseArgs (strict: an unknown flag is a usage error, not silently ignored).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command.ts';
import { DEFAULT_BIN_DIR, DEFAULT_CONFIG } from './installer.ts';
import { DEFAULT_NODE_CONFIG_FILE } from './node-config.ts';

export interface ParsedOptions {
  binDir: string;
  configFile: string;
  dryRun: boolean;
  withCli: boolean;
  /** The shim's node file (install writes its [verify] block, uninstall removes it). */
  nodeConfigFile: string;
  /** Install only: public keys for [verify], and whether every image must be signed. */
  verifyKeys: string[];
  requireSignatures: boolean;
}

export function parseInstallArgs(argv: string[], opts: { allowWithCli: boolean }): ParsedOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        'bin-dir': { type: 'string' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'node-config': { type: 'string' },
        ...(opts.allowWithCli ? {
          'with-cli': { type: 'boolean' as const, default: false },
          'verify-key': { type: 'string' as const, multiple: true as const },
          'require-signatures': { type: 'boolean' as const, default: false },
        } : {}),
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const binDir = values['bin-dir'] ?? DEFAULT_BIN_DIR;
  const configFile = values.config ?? DEFAULT_CONFIG;
  if (binDir === '' || configFile === '') throw new UsageError('--bin-dir and --config need a non-empty path');
  const nodeConfigFile = values['node-config'] ?? DEFAULT_NODE_CONFIG_FILE;
  if (nodeConfigFile === '') throw new UsageError('--node-config needs a non-empty path');
  const install = values as { 'verify-key'?: string[]; 'require-signatures'?: boolean };
  const verifyKeys = (install['verify-key'] ?? []).map((k) => resolve(k));
  const requireSignatures = install['require-signatures'] === true;
  if (requireSignatures && verifyKeys.length === 0) throw new UsageError('--require-signatures needs the keys signatures are checked with: --verify-key KEY.pub');
  return {
    binDir: resolve(binDir),
    configFile: resolve(configFile),
    dryRun: values['dry-run'] === true,
    withCli: (values as { 'with-cli'?: boolean })['with-cli'] === true,
    nodeConfigFile: resolve(nodeConfigFile),
    verifyKeys,
    requireSignatures,
  };
}
