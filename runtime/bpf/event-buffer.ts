// A ring buffer or perf buffer over one map, delivering every record to a sink in order.
// The records are read in JavaScript from the buffers' mmap'd pages (ring-reader.ts,
// perf-reader.ts): no native call per record, only one to wait when the buffer is empty.
import { LINUX_ERRNO } from '../errno.ts';
import { BpfError } from './errors.ts';
import { isNull, koffi, lastErrno, lib, PerfLostFn, PerfSampleFn, type Pointer } from './libbpf.ts';
import { MapType } from './map-types.ts';
import { PerfReader } from './perf-reader.ts';
import { addressOf, Kind, type ResourceLedger } from './resource-ledger.ts';
import { RingReader, type RecordSink } from './ring-reader.ts';

export type { RecordSink } from './ring-reader.ts';

/** What a buffer reads: a ring buffer map, or a perf event array's per-CPU perf buffers. */
export type EventBufferKind = 'ringbuf' | 'perf';

const PERF_BUFFER_PAGES = 64;
const { EBADF, EBUSY, EINVAL } = LINUX_ERRNO;

export class EventBuffer {
  private readonly reader: RingReader | PerfReader;
  /** The perf_buffer libbpf set up (perf events, mmaps, epoll); undefined for a ring buffer. */
  private perf: Pointer;
  private readonly callbacks: bigint[] = [];
  private closed = false;
  private consuming = false;
  private slot = -1;

  constructor(readonly mapFd: number, readonly kind: EventBufferKind, private readonly ledger: ResourceLedger) {
    if (kind === 'ringbuf') {
      this.reader = new RingReader(mapFd, ledger);
      return;
    }
    // libbpf wants callbacks, but they never run: perf_buffer__poll is never called.
    const sample = koffi.register(() => undefined, koffi.pointer(PerfSampleFn));
    const lost = koffi.register(() => undefined, koffi.pointer(PerfLostFn));
    this.callbacks.push(sample, lost);
    this.perf = lib.perf_buffer_new(mapFd, PERF_BUFFER_PAGES, sample, lost, null, null);
    if (isNull(this.perf)) {
      const errno = lastErrno();
      this.unregister();
      throw new BpfError('WASMBPF_BPF_BUFFER', `cannot open a perf buffer on map fd ${mapFd}`, errno);
    }
    this.slot = ledger.add(Kind.PERFBUF, addressOf(this.perf));
    try {
      this.reader = new PerfReader(mapFd, this.perf, ledger);
    } catch (err) {
      this.freePerf();
      throw err;
    }
  }

  static forMapType(mapFd: number, type: number, ledger: ResourceLedger): EventBuffer {
    if (type === MapType.RINGBUF) return new EventBuffer(mapFd, 'ringbuf', ledger);
    if (type === MapType.PERF_EVENT_ARRAY) return new EventBuffer(mapFd, 'perf', ledger);
    throw new BpfError('WASMBPF_BPF_BUFFER', `map fd ${mapFd} is neither a ring buffer nor a perf event array`, EINVAL);
  }

  /**
   * Delivers what is there; when nothing is, waits up to timeoutMs and delivers what arrived.
   * Returns the number of records the sink received, or a negative errno when the wait failed
   * and nothing was delivered (-EBUSY for a poll from inside this buffer's own sink). A sink's
   * exception (a trap in the guest) propagates, its record consumed and the rest left in the buffer.
   */
  poll(timeoutMs: number, sink: RecordSink): number {
    if (this.closed) return -EBADF;
    // A poll of this buffer from inside its own sink (a guest polling again in its callback):
    // the outer loop holds positions not yet stored, so a nested one would deliver records twice.
    if (this.consuming) return -EBUSY;
    this.consuming = true;
    try {
      const n = this.reader.consume(sink);
      if (n > 0) return n;
      const r = this.reader.wait(timeoutMs);
      const m = this.reader.consume(sink);
      return m === 0 && r < 0 ? r : m;
    } finally {
      this.consuming = false;
    }
  }

  /** Perf buffer samples the kernel dropped, since the last call. */
  takeLost(): bigint {
    return this.reader instanceof PerfReader ? this.reader.takeLost() : 0n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    if (this.perf !== undefined) this.freePerf();
  }

  private freePerf(): void {
    lib.perf_buffer_free(this.perf);
    this.perf = undefined;
    this.ledger.remove(this.slot);
    this.unregister();
  }

  private unregister(): void {
    for (const cb of this.callbacks.splice(0)) koffi.unregister(cb);
  }
}
