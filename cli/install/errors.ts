// Errors of `wasmbpf install` / `uninstall`. Each has a stable `code` users and scripts can match
// on; the message names the file and what to do, since the usual reader is an operator at a node.
import { WasmbpfError, type InstallErrorCode } from '../../errors/index.ts';

export class InstallError extends WasmbpfError {
  constructor(readonly code: InstallErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
