// What the three import tables (wasm-bpf.ts, callback-wrapper.ts, wasmbpf-v1.ts) share: the
// guest's memory and exports, the host services, error answers, and the steps more than one
// table decodes the same way (opening an object from guest bytes, finding a table callback,
// polling a buffer into guest memory).
import { BpfError } from '../../bpf/errors.ts';
import { LINUX_ERRNO, guestErrno } from '../../errno.ts';
import type { EbpfPolicy } from '../../policy.ts';
import type { GuestFdTable } from '../services/guest-fd-table.ts';
import { toOffset, type GuestMemory, type GuestPtr } from '../guest-memory.ts';
import type { BufferPolling, GuestRecordCallback } from '../services/buffer-polling.ts';
import type { MapOperations } from '../services/map-operations.ts';
import type { ObjectTable } from '../services/object-table.ts';
import type { RawSockets } from '../services/raw-sockets.ts';
import type { ImportErrors } from './import-errors.ts';

const { EBADF, EINTR, EINVAL } = LINUX_ERRNO;
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/** The guest's exports the host calls: its function table (wasm_bpf callbacks) and TinyGo's go-callback. */
export interface GuestExports {
  table?: WebAssembly.Table;
  goCallback?: GuestRecordCallback;
}

export interface ImportContext {
  /** The guest's memory; GuestFault before the instance is bound or when it exports none. */
  memory(): GuestMemory;
  guest(): GuestExports | undefined;
  errors: ImportErrors;
  objects: ObjectTable;
  maps: MapOperations;
  polling: BufferPolling;
  sockets: RawSockets;
  fds: GuestFdTable;
  policy: EbpfPolicy;
  possibleCpus: number;
  /** A program was attached (the worker reports the first as a start-up milestone). */
  onAttached(): void;
}

/** wasm_load_bpf_object and open_object: an object from guest bytes, its handle, or 0 with the failure told. */
export function openObject(ctx: ImportContext, buf: GuestPtr, len: number, load: boolean): bigint {
  try {
    if (len <= 0 || len > MAX_OBJECT_BYTES) throw new BpfError('WASMBPF_BPF_OPEN', `object size ${len} is invalid`, EINVAL);
    return ctx.objects.open(ctx.memory().bytes(buf, len), load);
  } catch (err) {
    ctx.errors.fail(load ? 'load eBPF object' : 'open eBPF object', err);
    return 0n;
  }
}

/** The guest's callback at a table index, looked up at the first record of a poll (table.get per record costs) and kept for the rest of it. */
export function tableCallback(ctx: ImportContext, index: number): GuestRecordCallback {
  let found: ((...a: number[]) => number) | undefined;
  return (c, data, size) => {
    if (found) return found(c, data, size) | 0;
    const table = ctx.guest()?.table;
    if (!table) throw new BpfError('WASMBPF_NO_TABLE', 'the module does not export __indirect_function_table (link with --export-table)', EINVAL);
    const fn = (index >>> 0 < table.length ? table.get(index >>> 0) : null) as ((...a: number[]) => number) | null; // past the end too: EINVAL, not get()'s RangeError
    if (typeof fn !== 'function') throw new BpfError('WASMBPF_BAD_CALLBACK', `table entry ${index} is not a function`, EINVAL);
    found = fn;
    return fn(c, data, size) | 0;
  };
}

/** The buffer polls of all three tables: the records delivered, or the guest's negative errno. */
export function pollBuffer(ctx: ImportContext, obj: bigint, fd: number, callback: GuestRecordCallback, cbCtx: GuestPtr, buf: GuestPtr, len: number, timeoutMs: number): number {
  const callbackCtx = toOffset(cbCtx); // outside the guard: a ctx past wasm32 traps, as it always has
  return ctx.errors.guard('buffer_poll', () => {
    const object = ctx.objects.get(obj);
    const entry = ctx.fds.get(fd);
    if (entry?.kind !== 'map' || entry.object !== object) throw new BpfError('WASMBPF_BPF_BADF', `fd ${fd} is not a map of this eBPF object`, EBADF);
    const at = toOffset(buf);
    const memory = ctx.memory();
    memory.bytes(at, len); // validated once; copyIn re-checks per record (memory may grow)
    const r = ctx.polling.poll(object, entry, fd, { memory, at, len, ctx: callbackCtx, callback }, timeoutMs);
    return r === 'interrupted' ? guestErrno(EINTR) : r;
  });
}
