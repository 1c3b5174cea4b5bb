// Containers that are not Wasm (the CRI pod's pause container, a native sidecar) are handed to
// containerd's own runc shim, the way runwasi hands them to a native executor. We delegate to
// `containerd-shim-runc-v2` rather than driving runc ourselves because a container's init
// process is not our child once `runc create` returns: reaping it needs a child subreaper
// (prctl), exit-status bookkeeping, and console/IO plumbing that the runc shim already does
// correctly. So for such a task the shim starts the runc shim exactly as containerd would
// (same flags, cwd the bundle, TTRPC_ADDRESS in env), then relays that task's Task RPCs to it
// as raw payloads (runc-task.ts). The runc shim publishes its task events to containerd itself
// and groups a pod's runc containers in one server by the same sandbox-id annotation.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TtrpcClient, isLive } from '../ttrpc/index.ts';
import { DELEGATE_MARKER, recordedPid } from './bundle.ts';
import { ShimError } from './errors.ts';
import { TASK_SERVICE } from './names.ts';
import type { ShimFlags } from './flags.ts';
import type { Logger } from './log.ts';

export const RUNC_SHIM = 'containerd-shim-runc-v2';
export { DELEGATE_MARKER } from './bundle.ts';

function runShim(flags: ShimFlags, bundle: string, id: string, action: 'start' | 'delete'): Promise<{ stdout: Buffer; stderr: string }> {
  const args = ['-namespace', flags.namespace, '-address', flags.address, '-publish-binary', flags.publishBinary, '-id', id];
  if (action === 'delete') args.push('-bundle', bundle);
  if (flags.debug) args.push('-debug');
  args.push(action);
  return new Promise((resolve, reject) => {
    const child = execFile(RUNC_SHIM, args, { cwd: bundle, encoding: 'buffer', env: { ...process.env, TTRPC_ADDRESS: flags.ttrpcAddress }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new ShimError('WASMBPF_SHIM_RUNC', `${RUNC_SHIM} ${action} for ${id} failed: ${stderr.toString().trim() || stdout.toString().trim() || error.message}`, { cause: error }));
      } else {
        resolve({ stdout, stderr: stderr.toString() });
      }
    });
    // `start` reads stdin to its end (runtime options, as containerd may pass them): give it none.
    child.stdin?.end();
  });
}

/** The runc shim servers this server relays to (runc-task.ts), one connection per address. */
export class RuncDelegates {
  readonly #flags: ShimFlags;
  readonly #log: Logger;
  readonly #clients = new Map<string, Promise<TtrpcClient>>();
  /** Container id -> the address of the runc shim that runs it, from its start to its Delete. */
  readonly #containers = new Map<string, string>();

  constructor(flags: ShimFlags, log: Logger) {
    this.#flags = flags;
    this.#log = log;
  }

  /** Starts (or joins) the runc shim for this container, as containerd would; answers its address. */
  async start(id: string, bundle: string, reason: string): Promise<string> {
    this.#log.info('handing the container to runc', { id, reason });
    const { stdout } = await runShim(this.#flags, bundle, id, 'start');
    const address = stdout.toString().trim();
    if (!address.startsWith('unix://')) throw new ShimError('WASMBPF_SHIM_RUNC', `${RUNC_SHIM} start printed ${JSON.stringify(address)}, not a unix:// address`);
    fs.writeFileSync(path.join(bundle, DELEGATE_MARKER), `${address}\n`);
    this.#containers.set(id, address);
    return address;
  }

  /** The container is gone from its runc shim (deleted, or its Create failed): Shutdown may end that shim. */
  forget(id: string): void {
    this.#containers.delete(id);
  }

  async call(address: string, method: string, payload: Uint8Array): Promise<Uint8Array> {
    const client = await this.#client(address);
    return client.call(TASK_SERVICE, method, payload);
  }

  /** Relays Shutdown to every runc shim that runs none of our containers; each exits once it runs no container. */
  async shutdown(payload: Uint8Array): Promise<void> {
    const inUse = new Set(this.#containers.values());
    for (const [address, pending] of this.#clients) {
      if (inUse.has(address)) continue;
      const client = await pending.catch(() => undefined);
      await client?.call(TASK_SERVICE, 'Shutdown', payload, { timeoutMs: 5000 }).catch(() => {});
      client?.destroy();
      this.#clients.delete(address);
    }
  }

  closeAll(): void {
    for (const pending of this.#clients.values()) pending.then((c) => c.destroy(), () => {});
    this.#clients.clear();
  }

  #client(address: string): Promise<TtrpcClient> {
    let pending = this.#clients.get(address);
    if (!pending) {
      pending = TtrpcClient.connect(address.replace(/^unix:\/\//, ''), { timeoutMs: 10_000 });
      pending.then((client) => client.closed.then(() => this.#clients.get(address) === pending && this.#clients.delete(address)), () => this.#clients.delete(address));
      this.#clients.set(address, pending);
    }
    return pending;
  }
}

/**
 * `delete` for a container our server had handed to runc (after our server died, or after a
 * normal Delete). The runc shim's server outlives ours: if it still answers, the cleanup goes
 * through it (kill, wait, Delete, Shutdown), as containerd would have through us; then it
 * exits once it runs no container. runc's `delete` binary alone would kill the container but
 * leave that server running for good, since only a Delete RPC makes it forget the container
 * and nobody would send one. The binary is the fallback when the server is gone too.
 */
export async function deleteDelegated(flags: ShimFlags, bundle: string): Promise<Uint8Array> {
  const address = fs.readFileSync(path.join(bundle, DELEGATE_MARKER), 'utf8').trim();
  const viaServer = await deleteThroughServer(address.replace(/^unix:\/\//, ''), flags.id, bundle).catch(() => undefined);
  if (viaServer) return viaServer;
  const { stdout } = await runShim(flags, bundle, flags.id, 'delete');
  return stdout;
}

async function deleteThroughServer(socket: string, id: string, bundle: string): Promise<Uint8Array | undefined> {
  if (!(await isLive(socket))) return undefined;
  const { Task, timestamp } = await import('./protos.ts');
  const client = await TtrpcClient.connect(socket, { timeoutMs: 5000 });
  const call = (method: string, payload: Uint8Array, timeoutMs = 10_000) => client.call(TASK_SERVICE, method, payload, { timeoutMs });
  try {
    let response: Uint8Array;
    try {
      await call('State', Task.StateRequest.encode({ id }));
    } catch {
      // Already deleted (the normal path: containerd's Delete went through our server to it).
      response = Task.DeleteResponse.encode({ pid: recordedPid(bundle), exitStatus: 128 + 9, exitedAt: timestamp(new Date()) });
      await call('Shutdown', Task.ShutdownRequest.encode({ id }), 5000).catch(() => {});
      return response;
    }
    await call('Kill', Task.KillRequest.encode({ id, signal: 9, all: true })).catch(() => {}); // already stopped: fine
    await call('Wait', Task.WaitRequest.encode({ id }));
    response = await call('Delete', Task.DeleteRequest.encode({ id }));
    // It exits once it runs no container; it may be gone before it answers.
    await call('Shutdown', Task.ShutdownRequest.encode({ id }), 5000).catch(() => {});
    return response;
  } finally {
    client.destroy();
  }
}
