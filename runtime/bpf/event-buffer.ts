// A ring buffer or perf buffer over one map, delivering every record to a handler in order.
// libbpf calls our koffi callback synchronously inside ring_buffer__poll/perf_buffer__poll on
// the same thread, so a record is handed to the guest while libbpf still owns its memory.
import { BpfError } from './errors.ts';
import { isNull, koffi, lastErrno, lib, PerfLostFn, PerfSampleFn, RingSampleFn, type Pointer } from './libbpf.ts';
import { MapType } from './map-types.ts';
import { addressOf, Kind, type ResourceLedger } from './resource-ledger.ts';

/** Called for each record with libbpf's pointer to it (valid only during the call) and its size; returns the guest's verdict. */
export type RecordHandler = (data: Pointer, size: number) => number;

const PERF_BUFFER_PAGES = 64;

export class EventBuffer {
  private handle: Pointer;
  private readonly callbacks: bigint[] = [];
  private handler: RecordHandler | undefined;
  private delivered = 0;
  private failure: unknown;
  /** Perf buffer samples the kernel dropped, since the last takeLost(). */
  private lost = 0n;
  private closed = false;
  private slot = -1;

  constructor(readonly mapFd: number, readonly kind: 'ringbuf' | 'perf', private readonly ledger: ResourceLedger) {
    if (kind === 'ringbuf') {
      const cb = koffi.register((_ctx: unknown, data: Pointer, size: number | bigint) => this.onRecord(data, Number(size)), koffi.pointer(RingSampleFn));
      this.callbacks.push(cb);
      this.handle = lib.ring_buffer_new(mapFd, cb, null, null);
    } else {
      const sample = koffi.register((_ctx: unknown, _cpu: number, data: Pointer, size: number) => {
        this.onRecord(data, size);
      }, koffi.pointer(PerfSampleFn));
      const lost = koffi.register((_ctx: unknown, _cpu: number, count: bigint | number) => {
        this.lost += BigInt(count);
      }, koffi.pointer(PerfLostFn));
      this.callbacks.push(sample, lost);
      this.handle = lib.perf_buffer_new(mapFd, PERF_BUFFER_PAGES, sample, lost, null, null);
    }
    if (isNull(this.handle)) {
      const errno = lastErrno();
      this.unregister();
      throw new BpfError('WASMBPF_BPF_BUFFER', `cannot open a ${kind} buffer on map fd ${mapFd}`, errno);
    }
    this.slot = ledger.add(kind === 'ringbuf' ? Kind.RINGBUF : Kind.PERFBUF, addressOf(this.handle));
  }

  static forMapType(mapFd: number, type: number, ledger: ResourceLedger): EventBuffer {
    if (type === MapType.RINGBUF) return new EventBuffer(mapFd, 'ringbuf', ledger);
    if (type === MapType.PERF_EVENT_ARRAY) return new EventBuffer(mapFd, 'perf', ledger);
    throw new BpfError('WASMBPF_BPF_BUFFER', `map fd ${mapFd} is neither a ring buffer nor a perf event array`, 22);
  }

  private onRecord(data: Pointer, size: number): number {
    if (this.failure !== undefined || !this.handler) return -1;
    try {
      this.delivered++;
      return this.handler(data, size);
    } catch (err) {
      // A trap in the guest: stop consuming (ring buffers honour a negative return), rethrow after the poll.
      this.failure = err;
      return -1;
    }
  }

  /** Polls once for up to timeoutMs; returns the number of records delivered, or a negative errno. Rethrows a handler's exception. */
  poll(timeoutMs: number, handler: RecordHandler): number {
    if (this.closed) return -9; // EBADF
    this.handler = handler;
    this.delivered = 0;
    try {
      const r = (this.kind === 'ringbuf' ? lib.ring_buffer_poll(this.handle, timeoutMs) : lib.perf_buffer_poll(this.handle, timeoutMs)) as number;
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (r < 0 && this.delivered === 0) return r;
      return this.delivered;
    } finally {
      this.handler = undefined;
    }
  }

  takeLost(): bigint {
    const n = this.lost;
    this.lost = 0n;
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.kind === 'ringbuf') lib.ring_buffer_free(this.handle);
    else lib.perf_buffer_free(this.handle);
    this.ledger.remove(this.slot);
    this.unregister();
  }

  private unregister(): void {
    for (const cb of this.callbacks.splice(0)) koffi.unregister(cb);
  }
}
