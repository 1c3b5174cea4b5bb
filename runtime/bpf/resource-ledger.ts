// What a module's worker holds in libbpf and the kernel, in memory the main thread can read.
//
// worker.terminate() cannot run the worker's cleanup (it ends a module stuck in a loop, or one
// that got SIGKILL), and everything libbpf allocated lives on in the process: objects, links,
// buffers, the ring buffers' mmap'd pages (MMAP: address, length), tc filters, sockets. So every
// such resource is written to this ledger when made and erased when freed; after the worker is
// gone the main thread frees what is left (reap()).
import { libByAddress, libcFns, koffi } from './libbpf.ts';
import { detachTcFilter, unpackTcFilter } from './tc-filter.ts';

export const enum Kind { FREE = 0, OBJECT = 1, LINK = 2, PERFBUF = 4, TC = 5, FD = 6, MMAP = 7 }

const SLOTS = 1024;
const WIDTH = 4; // kind, a, b, c

export class ResourceLedger {
  readonly slots: BigInt64Array;
  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * WIDTH * 8)) {
    this.slots = new BigInt64Array(sab);
  }

  add(kind: Kind, a: bigint, b = 0n, c = 0n): number {
    for (let i = 0; i < SLOTS; i++) {
      if (this.slots[i * WIDTH] === 0n) {
        this.slots[i * WIDTH + 1] = a;
        this.slots[i * WIDTH + 2] = b;
        this.slots[i * WIDTH + 3] = c;
        Atomics.store(this.slots, i * WIDTH, BigInt(kind));
        return i;
      }
    }
    throw new Error('resource ledger full');
  }

  remove(slot: number): void {
    if (slot >= 0) Atomics.store(this.slots, slot * WIDTH, 0n);
  }

  /** Entries still held, by kind. */
  held(): { kind: Kind; a: bigint; b: bigint; c: bigint }[] {
    const out = [];
    for (let i = 0; i < SLOTS; i++) {
      const kind = Number(Atomics.load(this.slots, i * WIDTH)) as Kind;
      if (kind !== Kind.FREE) out.push({ kind, a: this.slots[i * WIDTH + 1]!, b: this.slots[i * WIDTH + 2]!, c: this.slots[i * WIDTH + 3]! });
    }
    return out;
  }

  /** Main thread, after the worker has exited: frees whatever it left, links first, objects last. Returns how many. */
  reap(): number {
    const held = this.held();
    const order = [Kind.LINK, Kind.TC, Kind.PERFBUF, Kind.MMAP, Kind.FD, Kind.OBJECT];
    for (const kind of order) {
      for (const r of held.filter((h) => h.kind === kind)) {
        switch (kind) {
          case Kind.LINK: libByAddress.link_destroy(r.a); break;
          case Kind.PERFBUF: libByAddress.perf_buffer_free(r.a); break;
          case Kind.OBJECT: libByAddress.object_close(r.a); break;
          case Kind.FD: libcFns.close(Number(r.a)); break;
          case Kind.MMAP: libByAddress.munmap(r.a, r.b); break;
          case Kind.TC: detachTcFilter(unpackTcFilter(r.a, r.b, r.c)); break;
        }
      }
    }
    this.slots.fill(0n);
    return held.length;
  }
}

export function addressOf(pointer: unknown): bigint {
  return koffi.address(pointer);
}
