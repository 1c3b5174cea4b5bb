// Where wasmbpf keeps its state: $WASMBPF_HOME, default ~/.wasmbpf. The image store is the
// OCI image layout in <home>/images, so skopeo and other OCI tools can read it as `oci:<dir>`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function wasmbpfHome(override?: string): string {
  const home = override ?? process.env.WASMBPF_HOME;
  return home ? resolve(home) : join(homedir(), '.wasmbpf');
}

export function imageStoreDir(home?: string): string {
  return join(wasmbpfHome(home), 'images');
}
