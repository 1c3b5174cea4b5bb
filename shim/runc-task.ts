// A container that is not Wasm (the CRI pod's pause container, a native sidecar), relayed to
// containerd's runc shim (runc-delegate.ts says why). Every RPC goes on as the bytes containerd
// sent and comes back as the bytes the runc shim answered: its state table, its exec'd
// processes and its events to containerd are the runc shim's, so a reply here reports no
// lifecycle for this server to publish.
import type { Call, OptionalMethod, Reply, Task } from './task.ts';
import type { TaskIdRequest } from './protos.ts';
import type { RuncDelegates } from './runc-delegate.ts';

export class RuncTask implements Task {
  readonly id: string;
  /** The runc shim's address (unix://...). */
  readonly #address: string;
  readonly #shims: RuncDelegates;

  private constructor(id: string, address: string, shims: RuncDelegates) {
    this.id = id;
    this.#address = address;
    this.#shims = shims;
  }

  /** Starts (or joins) the runc shim for the container and relays its Create. */
  static async create(shims: RuncDelegates, id: string, bundle: string, createPayload: Uint8Array, reason: string): Promise<{ task: RuncTask; reply: Reply }> {
    const task = new RuncTask(id, await shims.start(id, bundle, reason), shims);
    try {
      return { task, reply: await task.#relay('Create', createPayload) };
    } catch (error) {
      shims.forget(id);
      throw error;
    }
  }

  start(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Start', call.payload);
  }
  state(call: Call<unknown>): Promise<Reply> {
    return this.#relay('State', call.payload);
  }
  wait(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Wait', call.payload);
  }
  kill(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Kill', call.payload);
  }
  async delete(call: Call<TaskIdRequest>): Promise<Reply> {
    const reply = await this.#relay('Delete', call.payload);
    // Only the Delete of the container's init ends it: one with an exec id (what `ctr task exec`
    // and `kubectl exec` send once the exec'd process exits) removes that process alone.
    if (!call.request.execId) this.#shims.forget(this.id);
    return reply;
  }
  pids(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Pids', call.payload);
  }
  stats(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Stats', call.payload);
  }
  closeIO(call: Call<unknown>): Promise<Reply> {
    return this.#relay('CloseIO', call.payload);
  }
  update(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Update', call.payload);
  }
  resizePty(call: Call<unknown>): Promise<Reply> {
    return this.#relay('ResizePty', call.payload);
  }
  connect(call: Call<unknown>): Promise<Reply> {
    return this.#relay('Connect', call.payload);
  }
  optional(method: OptionalMethod, call: Call<unknown>): Promise<Reply> {
    return this.#relay(method, call.payload);
  }

  async #relay(method: string, payload: Uint8Array): Promise<Reply> {
    return { response: await this.#shims.call(this.#address, method, payload) };
  }
}
