// Command-line options shared by `wasmbpf install` and `wasmbpf uninstall`, parsed with
// node:util's parseArgs (strict: an unknown flag is a usage error, not silently ignored).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../command.ts';
import { DEFAULT_BIN_DIR, DEFAULT_CONFIG } from './installer.ts';

export interface ParsedOptions {
  binDir: string;
  configFile: string;
  dryRun: boolean;
  withCli: boolean;
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
        ...(opts.allowWithCli ? { 'with-cli': { type: 'boolean' as const, default: false } } : {}),
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  const binDir = values['bin-dir'] ?? DEFAULT_BIN_DIR;
  const configFile = values.config ?? DEFAULT_CONFIG;
  if (binDir === '' || configFile === '') throw new UsageError('--bin-dir and --config need a non-empty path');
  return {
    binDir: resolve(binDir),
    configFile: resolve(configFile),
    dryRun: values['dry-run'] === true,
    withCli: (values as { 'with-cli'?: boolean })['with-cli'] === true,
  };
}
