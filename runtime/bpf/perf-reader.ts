// A perf event array's per-CPU buffers consumed in JavaScript from the pages libbpf mmap'd.
//
// libbpf's perf_buffer__new still does the setup (a perf event per CPU, its mmap, the map
// entries pointing at them, the epoll set) and perf_buffer__free the teardown, so the resource
// ledger's PERFBUF entry reaps everything after a worker.terminate(). What moves to JavaScript is
// perf_buffer__poll's per-record work: instead of a C -> JS callback per sample, each CPU
// buffer's ring is wrapped in typed arrays once and read in a loop.
//
// Each buffer is a perf_event_mmap_page (data_head at byte 1024, data_tail at 1032) followed by
// a power-of-two data area. Records are 8-byte aligned: a perf_event_header (u32 type, u16 misc,
// u16 size) then the body; PERF_RECORD_SAMPLE carries u32 size + raw bytes (sample_type
// PERF_SAMPLE_RAW), PERF_RECORD_LOST u64 id + u64 lost. A record may wrap past the area's end:
// it is copied into a scratch buffer in two parts, as libbpf does.
import { LINUX_ERRNO } from '../errno.ts';
import { BpfError } from './errors.ts';
import { koffi, lastErrno, lib, libcFns, libcMem, type Pointer } from './libbpf.ts';
import { Kind, type ResourceLedger } from './resource-ledger.ts';
import type { RecordSink } from './ring-reader.ts';

const PERF_RECORD_LOST = 2, PERF_RECORD_SAMPLE = 9;
const HEAD_INDEX = 1024 / 8, TAIL_INDEX = 1032 / 8;
const { EBADF, EINTR, ENOENT } = LINUX_ERRNO;
const TWO32 = 4294967296;

interface CpuBuffer {
  /** data_head and data_tail, as u64 over the header page. */
  control: BigUint64Array;
  data8: Uint8Array;
  data16: Uint16Array;
  data32: Uint32Array;
  mask: number;
  /** Our copy of data_tail (we are its only writer). */
  tail: number;
}

/** struct epoll_event: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere; data (u64) after the u32 events. */
const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;
const EPOLL_CLOEXEC = 0o2000000, EPOLL_CTL_ADD = 1, EPOLLIN = 1;

export class PerfReader {
  private buffers: CpuBuffer[] = [];
  /**
   * Our own epoll set over the per-CPU perf event fds, each tagged with its buffer's index. Its
   * ready list is in the order the buffers were woken, so draining in that order keeps a producer
   * that migrated between CPUs in order (libbpf's perf_buffer__poll gets that from its epoll set
   * too). libbpf's own set cannot be used for this: its tags are pointers to its private structs.
   */
  private readonly epollFd: number;
  private readonly epollSlot: number;
  private readonly events: Buffer;
  /** Ready events left by wait() for the next consume(). */
  private pending = 0;
  private readonly visited: Uint8Array;
  private scratch8 = new Uint8Array(256);
  private scratch32 = new Uint32Array(this.scratch8.buffer);
  /** Samples the kernel reported lost since the last takeLost(). */
  private lost = 0;
  private closed = false;

  /** pb: a perf_buffer from perf_buffer__new, still owned (and freed) by the caller. */
  constructor(readonly mapFd: number, pb: Pointer, private readonly ledger: ResourceLedger) {
    const page = libcFns.getpagesize() as number;
    const count = Number(lib.perf_buffer_buffer_cnt(pb));
    const fds: number[] = [];
    for (let i = 0; i < count; i++) {
      const base: Pointer[] = [null];
      const size: number[] = [0];
      const r = lib.perf_buffer_buffer(pb, i, base, size) as number;
      if (r === -ENOENT) continue; // no buffer for this slot (an offline CPU)
      if (r < 0) throw new BpfError('WASMBPF_BPF_BUFFER', `cannot read perf buffer ${i} of map fd ${mapFd}`, -r);
      const dataSize = Number(size[0]);
      const view = koffi.view(base[0], page + dataSize);
      const control = new BigUint64Array(view, 0, page / 8);
      this.buffers.push({
        control,
        data8: new Uint8Array(view, page, dataSize),
        data16: new Uint16Array(view, page, dataSize >>> 1),
        data32: new Uint32Array(view, page, dataSize >>> 2),
        mask: dataSize - 1,
        tail: Number(Atomics.load(control, TAIL_INDEX)),
      });
      fds.push(lib.perf_buffer_buffer_fd(pb, i) as number);
    }
    this.visited = new Uint8Array(this.buffers.length);
    this.events = Buffer.alloc(EPOLL_EVENT_SIZE * Math.max(1, this.buffers.length));
    this.epollFd = libcMem.epoll_create1(EPOLL_CLOEXEC) as number;
    if (this.epollFd < 0) throw new BpfError('WASMBPF_BPF_BUFFER', `cannot make an epoll set for map fd ${mapFd}`, lastErrno());
    this.epollSlot = ledger.add(Kind.FD, BigInt(this.epollFd));
    const event = Buffer.alloc(16);
    for (let i = 0; i < fds.length; i++) {
      event.writeUInt32LE(EPOLLIN, 0);
      event.writeUInt32LE(i, EPOLL_DATA_OFFSET);
      if ((libcMem.epoll_ctl(this.epollFd, EPOLL_CTL_ADD, fds[i]!, event) as number) < 0) {
        const errno = lastErrno();
        this.close();
        throw new BpfError('WASMBPF_BPF_BUFFER', `cannot watch perf buffer ${i} of map fd ${mapFd}`, errno);
      }
    }
  }

  /**
   * Delivers the records of every woken CPU buffer (in order within a CPU; the buffers woken
   * first first) and counts lost samples; returns how many samples the sink received. A sink that
   * throws leaves its record consumed and the exception propagates; the sink's verdict is
   * ignored, as libbpf's perf sample callbacks return nothing.
   */
  consume(sink: RecordSink): number {
    if (this.closed) return 0;
    // Only the buffers the last wait() found woken: no epoll_wait of its own. A poll is
    // consume, wait, consume; probing here too cost a second syscall per wake-up, and with one
    // wake-up per sample that was a third of the consumer's CPU. (The set is level-triggered, so
    // a wait() on data already there returns at once.)
    const ready = this.pending;
    this.pending = 0;
    const visited = this.visited;
    visited.fill(0);
    let delivered = 0;
    for (let k = 0; k < ready; k++) {
      const i = this.events.readUInt32LE(k * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
      if (i >= this.buffers.length || visited[i]) continue;
      visited[i] = 1;
      delivered += this.drain(this.buffers[i]!, sink);
    }
    // Only woken buffers, as perf_buffer__poll does: sweeping the others too would read a CPU's
    // records without regard to when they were written relative to the rest. Every sample wakes
    // (libbpf sets wakeup_events = 1), so nothing is left behind for long.
    return delivered;
  }

  private drain(b: CpuBuffer, sink: RecordSink): number {
    let delivered = 0;
    let tail = b.tail;
    try {
      // Drain this CPU's buffer until its head stops moving before going to the next one.
      for (let head = Number(Atomics.load(b.control, HEAD_INDEX)); tail < head; head = Number(Atomics.load(b.control, HEAD_INDEX))) {
        while (tail < head) {
          const off = tail & b.mask;
          const type = b.data32[off >>> 2]!;
          const size = b.data16[(off + 6) >>> 1]!;
          if (size === 0) { tail = head; break; } // cannot happen with a sane kernel; never spin on it
          let src8 = b.data8, src32 = b.data32, at = off;
          if (off + size > b.mask + 1) {
            // Wraps past the end of the area: reassemble it.
            if (this.scratch8.length < size) {
              this.scratch8 = new Uint8Array((size + 7) & ~7);
              this.scratch32 = new Uint32Array(this.scratch8.buffer);
            }
            const first = b.mask + 1 - off;
            this.scratch8.set(b.data8.subarray(off), 0);
            this.scratch8.set(b.data8.subarray(0, size - first), first);
            src8 = this.scratch8;
            src32 = this.scratch32;
            at = 0;
          }
          tail += size;
          if (type === PERF_RECORD_SAMPLE) {
            delivered++;
            sink(src8, src32, at + 12, src32[(at + 8) >>> 2]!);
          } else if (type === PERF_RECORD_LOST) {
            this.lost += src32[(at + 16) >>> 2]! + src32[(at + 20) >>> 2]! * TWO32;
          }
        }
        // Give the space back to the kernel once per batch.
        b.tail = tail;
        Atomics.store(b.control, TAIL_INDEX, BigInt(tail));
      }
    } finally {
      if (b.tail !== tail) {
        b.tail = tail;
        Atomics.store(b.control, TAIL_INDEX, BigInt(tail));
      }
    }
    return delivered;
  }

  /** Waits up to timeoutMs for a buffer to have data (0: no wait); 0 on data or timeout, a negative errno on failure. */
  wait(timeoutMs: number): number {
    if (this.closed) return -EBADF;
    const r = libcMem.epoll_wait(this.epollFd, this.events, this.buffers.length || 1, timeoutMs) as number;
    if (r < 0) return -(lastErrno() || EINTR);
    this.pending = r;
    return 0;
  }

  takeLost(): bigint {
    const n = this.lost;
    this.lost = 0;
    return BigInt(n);
  }

  /** Closes the epoll set and forgets the mappings; the caller frees the perf_buffer (which unmaps them) right after. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffers = [];
    if (this.epollFd >= 0) {
      libcFns.close(this.epollFd);
      this.ledger.remove(this.epollSlot);
    }
  }
}
