// Errors of `wasmbpf install` / `uninstall`. Each has a stable `code` users and scripts can match
// on; the message names the file and what to do, since the usual reader is an operator at a node.

export type InstallErrorCode =
  | 'WASMBPF_CONTAINERD_CONFIG_PARSE'
  | 'WASMBPF_CONTAINERD_CONFIG_VERSION'
  | 'WASMBPF_CONTAINERD_CONFIG_CONFLICT'
  | 'WASMBPF_CONTAINERD_CONFIG_EDIT'
  | 'WASMBPF_NODE_CONFIG_PARSE'
  | 'WASMBPF_NODE_CONFIG_EDIT'
  | 'WASMBPF_INSTALL_NOT_BUILT'
  | 'WASMBPF_INSTALL_CONFLICT'
  | 'WASMBPF_INSTALL_IO';

export class InstallError extends Error {
  readonly code: InstallErrorCode;

  constructor(code: InstallErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstallError';
    this.code = code;
  }
}
