// A BPF ring buffer consumed in JavaScript straight from its mmap'd pages (the kernel's
// BPF_MAP_TYPE_RINGBUF layout, as libbpf's ringbuf.c reads it), with no native call per record.
//
// libbpf's ring_buffer__poll calls a C callback per record, which through koffi is a C -> JS
// transition (about 160 ns) plus a native copy: most of the 0.86 us per record the first versions
// spent. Here the mappings are wrapped in typed arrays once, and a record costs a header read, a
// copy with typed-array operations and the guest's callback.
//
// Layout (kernel/bpf/ringbuf.c): page 0 is the consumer page (consumer_pos, u64, writable by us);
// page 1 the producer page (producer_pos, u64, read-only); then the data area of max_entries bytes
// mapped twice in a row, so a record that starts near the end continues contiguously. Each record
// is an 8-byte header (u32 len with BUSY bit 31 and DISCARD bit 30, u32 page offset) followed by
// len bytes, padded to 8.
//
// Positions are u64 counters. JavaScript numbers hold them exactly up to 2^53 bytes of traffic.
// producer_pos is read with a 64-bit Atomics.load once per batch; consumer_pos is written as two
// 32-bit Atomics.store (low word first: a producer that reads between the two sees an older, smaller
// position, i.e. less free space, never more), which avoids a BigInt per record. Atomics give the
// acquire/release ordering libbpf's smp_load_acquire/smp_store_release give (it matters on arm64).
import { LINUX_ERRNO } from '../errno.ts';
import { BpfError } from './errors.ts';
import { koffi, lastErrno, libcFns, libcMem, mapInfoByFd, type Pointer } from './libbpf.ts';
import { Kind, type ResourceLedger } from './resource-ledger.ts';

/** Receives one record: bytes [at, at + size) of src, valid only during the call. < 0 stops a ring buffer's consumption. */
export type RecordSink = (src: Uint8Array, src32: Uint32Array, at: number, size: number) => number;

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const POLLIN = 1;
const { EBADF, EINTR, EINVAL, ENOMEM } = LINUX_ERRNO;
/** Records between two stores of consumer_pos (space given back to the producer). */
const RELEASE_EVERY = 64;
const DISCARD = 0x40000000;
const LEN_MASK = 0x3fffffff;
const HDR = 8;
const TWO32 = 4294967296;

/** One mmap'd region; the ledger slot lets the main thread munmap it after a worker.terminate(). */
interface Mapping {
  ptr: Pointer;
  len: number;
  slot: number;
}

export class RingReader {
  private readonly size: number;
  private readonly mask: number;
  private consumerMap: Mapping | undefined;
  private dataMap: Mapping | undefined;
  /** consumer_pos as two u32 words (writes) and as a u64 (the initial read). */
  private cons32: Uint32Array;
  /** producer_pos as a u64. */
  private prod64: BigUint64Array;
  /** The data area, mapped twice: an Int32Array for the length words, plus byte and word views for the sink. */
  private data8: Uint8Array;
  private data32: Uint32Array;
  private dataI32: Int32Array;
  private readonly pollfd = Buffer.alloc(8);
  private consumerPos: number;
  private consumerHigh: number;
  private closed = false;

  constructor(readonly mapFd: number, private readonly ledger: ResourceLedger) {
    const info = mapInfoByFd(mapFd);
    const page = libcFns.getpagesize() as number;
    this.size = info.maxEntries;
    if (this.size <= 0 || (this.size & (this.size - 1)) !== 0) {
      throw new BpfError('WASMBPF_BPF_BUFFER', `map fd ${mapFd} is not a ring buffer (max_entries ${this.size})`, EINVAL);
    }
    this.mask = this.size - 1;
    this.consumerMap = this.map(page, PROT_READ | PROT_WRITE, 0);
    try {
      this.dataMap = this.map(page + 2 * this.size, PROT_READ, page);
    } catch (err) {
      this.unmap(this.consumerMap);
      throw err;
    }
    const consumer = koffi.view(this.consumerMap.ptr, page);
    const producer = koffi.view(this.dataMap.ptr, page + 2 * this.size);
    this.cons32 = new Uint32Array(consumer, 0, 2);
    this.prod64 = new BigUint64Array(producer, 0, 1);
    this.data8 = new Uint8Array(producer, page, 2 * this.size);
    this.data32 = new Uint32Array(producer, page, (2 * this.size) >>> 2);
    this.dataI32 = new Int32Array(producer, page, (2 * this.size) >>> 2);
    this.consumerPos = Number(Atomics.load(new BigUint64Array(consumer, 0, 1), 0));
    this.consumerHigh = Math.floor(this.consumerPos / TWO32);
    this.pollfd.writeInt32LE(mapFd, 0);
    this.pollfd.writeInt16LE(POLLIN, 4);
  }

  private map(len: number, prot: number, offset: number): Mapping {
    const ptr = libcMem.mmap(null, len, prot, MAP_SHARED, this.mapFd, offset);
    const addr = koffi.address(ptr);
    if (addr === 0n || addr === 0xffffffffffffffffn) {
      throw new BpfError('WASMBPF_BPF_BUFFER', `cannot mmap ring buffer map fd ${this.mapFd}`, lastErrno() || ENOMEM);
    }
    return { ptr, len, slot: this.ledger.add(Kind.MMAP, addr, BigInt(len)) };
  }

  private unmap(m: Mapping | undefined): void {
    if (!m) return;
    libcMem.munmap(m.ptr, m.len);
    this.ledger.remove(m.slot);
  }

  /**
   * Delivers every committed record in order until the ring is empty or the sink returns < 0
   * (that record counts as consumed, as in libbpf); returns how many records the sink received.
   * A sink that throws leaves its record consumed and the exception propagates.
   *
   * consumer_pos is stored every RELEASE_EVERY records and when returning, not after every record
   * as libbpf does: the store is a full barrier on a cache line the producer reads, and per
   * record it cost more than the rest of the loop.
   */
  consume(sink: RecordSink): number {
    if (this.closed) return 0;
    const data8 = this.data8, data32 = this.data32, lens = this.dataI32, mask = this.mask;
    let cons = this.consumerPos;
    let delivered = 0;
    let sinceStore = 0;
    try {
      outer: for (;;) {
        const prod = Number(Atomics.load(this.prod64, 0));
        if (cons >= prod) break;
        while (cons < prod) {
          const off = cons & mask;
          const len = Atomics.load(lens, off >>> 2);
          // Bit 31 (BUSY): reserved, not yet committed; the next poll reads it.
          if (len < 0) break outer;
          cons += ((len & LEN_MASK) + HDR + 7) & ~7;
          if ((len & DISCARD) !== 0) continue;
          delivered++;
          if (sink(data8, data32, off + HDR, len & LEN_MASK) < 0) break outer;
          if (++sinceStore === RELEASE_EVERY) {
            sinceStore = 0;
            this.storeConsumer(cons);
          }
        }
      }
    } finally {
      if (cons !== this.consumerPos) this.storeConsumer(cons);
    }
    return delivered;
  }

  private storeConsumer(pos: number): void {
    this.consumerPos = pos;
    Atomics.store(this.cons32, 0, pos >>> 0);
    const high = Math.floor(pos / TWO32);
    if (high !== this.consumerHigh) {
      this.consumerHigh = high;
      Atomics.store(this.cons32, 1, high);
    }
  }

  /** Waits up to timeoutMs for data (0: no wait); 0 on data or timeout, a negative errno on failure. */
  wait(timeoutMs: number): number {
    if (this.closed) return -EBADF;
    const r = libcMem.poll(this.pollfd, 1, timeoutMs) as number;
    if (r < 0) return -(lastErrno() || EINTR);
    return 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Drop the views before the pages go: nothing may touch them after munmap.
    const empty = new ArrayBuffer(8);
    this.cons32 = new Uint32Array(empty);
    this.prod64 = new BigUint64Array(empty);
    this.data8 = new Uint8Array(empty);
    this.data32 = new Uint32Array(empty);
    this.dataI32 = new Int32Array(empty);
    this.unmap(this.dataMap);
    this.unmap(this.consumerMap);
    this.dataMap = this.consumerMap = undefined;
  }
}
