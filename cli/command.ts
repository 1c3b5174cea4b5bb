// The shape of one `wasmbpf` subcommand. Each lives in cli/commands/NAME.ts and is loaded only
// when invoked, so `wasmbpf run` never pays for the registry client or the build toolchain.
import { WasmbpfError } from '../errors/index.ts';

export interface Command {
  /** Full help text for `wasmbpf NAME --help`, starting with the usage line. */
  help: string;
  /**
   * Whether these arguments ask for the help text; default: -h or --help anywhere. `run` says
   * no for a -h after its target, which belongs to the module (`wasmbpf run tool.wasm -h`).
   */
  helpRequested?(argv: string[]): boolean;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A usage error: printed with the command's help hint, exit code 2 (like most CLIs). */
export class UsageError extends WasmbpfError {
  readonly code = 'WASMBPF_USAGE';
}
