// Containers that are not Wasm (the CRI pod's pause container, a native sidecar) are handed to
// containerd's own runc shim, the way runwasi hands them to a native executor. We delegate to
// `containerd-shim-runc-v2` rather than driving runc ourselves because a container's init
// process is not our child once `runc create` returns: reaping it needs a child subreaper
// (prctl), exit-status bookkeeping, and console/IO plumbing that the runc shim already does
// correctly. So for such a task the shim starts the runc shim exactly as containerd would
// (same flags, cwd the bundle, TTRPC_ADDRESS in env), then relays that task's Task RPCs to it
// as raw payloads. The runc shim publishes its task events to containerd itself and groups a
// pod's runc containers in one server by the same sandbox-id annotation.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TtrpcClient } from '../ttrpc/index.ts';
import { ShimError } from './errors.ts';
import type { ShimFlags } from './flags.ts';
import type { Logger } from './log.ts';

export const RUNC_SHIM = 'containerd-shim-runc-v2';
const TASK_SERVICE = 'containerd.task.v2.Task';
/** Written into the bundle so `delete` after a crash knows to ask the runc shim to clean up. */
export const DELEGATE_MARKER = 'wasmbpf-delegated-to-runc';

function runShim(flags: ShimFlags, bundle: string, id: string, action: 'start' | 'delete'): Promise<{ stdout: Buffer; stderr: string }> {
  const args = ['-namespace', flags.namespace, '-address', flags.address, '-publish-binary', flags.publishBinary, '-id', id];
  if (action === 'delete') args.push('-bundle', bundle);
  if (flags.debug) args.push('-debug');
  args.push(action);
  return new Promise((resolve, reject) => {
    const child = execFile(RUNC_SHIM, args, { cwd: bundle, encoding: 'buffer', env: { ...process.env, TTRPC_ADDRESS: flags.ttrpcAddress }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new ShimError('internal', 'WASMBPF_SHIM_RUNC', `${RUNC_SHIM} ${action} for ${id} failed: ${stderr.toString().trim() || stdout.toString().trim() || error.message}`, { cause: error }));
      } else {
        resolve({ stdout, stderr: stderr.toString() });
      }
    });
    // `start` reads stdin to its end (runtime options, as containerd may pass them): give it none.
    child.stdin?.end();
  });
}

/** The runc shim servers this server relays to, one connection per address. */
export class RuncDelegates {
  readonly #flags: ShimFlags;
  readonly #log: Logger;
  /** id -> address of the runc shim that runs it. */
  readonly #tasks = new Map<string, string>();
  readonly #clients = new Map<string, Promise<TtrpcClient>>();

  constructor(flags: ShimFlags, log: Logger) {
    this.#flags = flags;
    this.#log = log;
  }

  has(id: string): boolean {
    return this.#tasks.has(id);
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Starts (or joins) the runc shim for this task and relays its Create. */
  async create(id: string, bundle: string, createPayload: Uint8Array, reason: string): Promise<Uint8Array> {
    this.#log.info('handing the container to runc', { id, reason });
    const { stdout } = await runShim(this.#flags, bundle, id, 'start');
    const address = stdout.toString().trim();
    if (!address.startsWith('unix://')) throw new ShimError('internal', 'WASMBPF_SHIM_RUNC', `${RUNC_SHIM} start printed ${JSON.stringify(address)}, not a unix:// address`);
    fs.writeFileSync(path.join(bundle, DELEGATE_MARKER), `${address}\n`);
    this.#tasks.set(id, address);
    try {
      return await this.call(id, 'Create', createPayload);
    } catch (error) {
      this.#tasks.delete(id);
      throw error;
    }
  }

  async call(id: string, method: string, payload: Uint8Array): Promise<Uint8Array> {
    const address = this.#tasks.get(id);
    if (!address) throw new ShimError('not-found', 'WASMBPF_SHIM_NOT_FOUND', `task ${id}: not found`);
    const client = await this.#client(address);
    const response = await client.call(TASK_SERVICE, method, payload);
    if (method === 'Delete') this.#tasks.delete(id);
    return response;
  }

  /** Relays Shutdown to every runc shim; each exits once it runs no container. */
  async shutdown(payload: Uint8Array): Promise<void> {
    for (const [address, pending] of this.#clients) {
      if ([...this.#tasks.values()].includes(address)) continue;
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

/** `delete` after our server died: if the bundle's task was the runc shim's, let it clean up. */
export async function deleteDelegated(flags: ShimFlags, bundle: string): Promise<Buffer | undefined> {
  if (!fs.existsSync(path.join(bundle, DELEGATE_MARKER))) return undefined;
  const { stdout } = await runShim(flags, bundle, flags.id, 'delete');
  return stdout;
}
