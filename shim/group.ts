// Which server a task belongs to, and that server's socket. The [shim] grouping setting
// (node-config.ts) decides: "pod" gives each CRI pod (its io.kubernetes.cri.sandbox-id) a server
// and every other container one of its own; "node" puts every Wasm task of a containerd
// namespace in one server; "auto" is "node" for plain containers and "pod" for CRI pods.
//
// The socket is derived from the group and from this installation's build (the modification
// time of this file, which every build and every install rewrites): after an upgrade, new tasks
// start a server of the new code while the old server finishes its tasks and exits.
//
// Its own file, without ttrpc or protobufjs: `start` and `delete` need only this, and
// containerd runs each once per task and waits for it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOTATION_SANDBOX_ID } from './bundle.ts';
import type { ShimFlags } from './flags.ts';
import type { Grouping } from './node-config.ts';

export const SOCKET_DIR = '/run/containerd/s';
/** The group of a node-grouped server (no container id or sandbox id can contain a NUL). */
export const NODE_GROUP = '\0node';

const BUILD = String(fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);

/** The group's socket. Distinct from the runc shim's (which hashes address/ns/id the same way). */
export function socketPath(flags: Pick<ShimFlags, 'address' | 'namespace'>, group: string): string {
  const hash = crypto.createHash('sha256').update(`wasmbpf\0${BUILD}\0${flags.address}\0${flags.namespace}\0${group}`).digest('hex');
  return path.join(SOCKET_DIR, hash.slice(0, 40));
}

export function groupOf(id: string, annotations: Record<string, string> | undefined, grouping: Grouping): string {
  const sandbox = annotations?.[ANNOTATION_SANDBOX_ID];
  if (grouping === 'node' || (grouping === 'auto' && !sandbox)) return NODE_GROUP;
  return sandbox || id;
}

/** Whether a server listens on this unix socket (it accepts a connection). */
export function isServing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}
