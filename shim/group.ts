// Which server a container belongs to: containers of one CRI pod (same
// io.kubernetes.cri.sandbox-id annotation) share one, every other container has its own, and
// the server's socket is derived from the group. Its own file, without ttrpc or protobufjs:
// `start` and `delete` need only this, and containerd runs each once per task (`delete` even
// after every normal Delete) and waits for it, so their process start is on the path of every
// `ctr run` and `ctr task delete`.
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { ANNOTATION_SANDBOX_ID } from './bundle.ts';
import type { ShimFlags } from './flags.ts';

export const SOCKET_DIR = '/run/containerd/s';

/** The group's socket. Distinct from the runc shim's (which hashes address/ns/id the same way). */
export function socketPath(flags: Pick<ShimFlags, 'address' | 'namespace'>, group: string): string {
  const hash = crypto.createHash('sha256').update(`wasmbpf\0${flags.address}\0${flags.namespace}\0${group}`).digest('hex');
  return path.join(SOCKET_DIR, hash.slice(0, 40));
}

export function groupOf(id: string, annotations: Record<string, string> | undefined): string {
  return annotations?.[ANNOTATION_SANDBOX_ID] || id;
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
