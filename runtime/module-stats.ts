// A module's counters, kept by its worker and read by the controlling thread at any time without
// a message: the worker is busy in guest code and answers none. They live in a SharedArrayBuffer
// of Float64 slots (one writer, the worker; a double is read whole on every architecture Node
// runs on) and the hot paths touch them with one plain typed-array increment: a host import
// call, or a buffer poll that delivered records (one add per poll, never per record).
//
// What does not change once known (which buffer a slot is, a program's kernel id, a map's memory)
// goes to the controller once as a 'stats-meta' message (worker-protocol.ts); the controller
// reads a live program's run count and time from the kernel itself, by id (module-stats-reader.ts).
import { mapIdByFd, mapMemoryBytes, programInfoByFd } from './bpf/bpf-info.ts';
import type { BpfObject } from './bpf/bpf-object.ts';
import type { EventBufferKind } from './bpf/event-buffer.ts';
import type { MapStats } from './contract.ts';

/** The eBPF host imports by kind: wasm_bpf's names without their wasm_/wasm_bpf_ prefix, and wasmbpf_v1's. */
export const HOST_CALL_KINDS = [
  'load_bpf_object', 'attach_bpf_program', 'buffer_poll', 'map_fd_by_name', 'map_operate', 'close_bpf_object',
  'open_object', 'set_autoload', 'load_object', 'attach', 'open_raw_socket', 'num_possible_cpus', 'global_data', 'last_error',
] as const;
export type HostCallKind = (typeof HOST_CALL_KINDS)[number];

/** Buffers and programs a module may have counted; more than that go uncounted (a slot no one reads). */
export const MAX_BUFFERS = 32;
export const MAX_PROGRAMS = 64;

// Slot layout.
const HOST_BASE = 0;
export const BUFFER_BASE = 16;
/** Per buffer: records delivered, records lost. */
const BUFFER_SLOTS = 2;
export const PROGRAM_BASE = BUFFER_BASE + MAX_BUFFERS * BUFFER_SLOTS;
/** Per program, written when its object closes: closed (1), run count, run time (ns). */
export const PROGRAM_SLOTS = 3;
const SPARE = PROGRAM_BASE + MAX_PROGRAMS * PROGRAM_SLOTS;
export const STATS_SLOTS = SPARE + 2;

export function newStatsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(STATS_SLOTS * 8);
}

export function hostCallSlot(importName: string): number {
  const i = HOST_CALL_KINDS.indexOf(importName.replace(/^wasm_(bpf_)?/, '') as HostCallKind);
  return i < 0 ? SPARE : HOST_BASE + i;
}

export function deliveredSlot(buffer: number): number {
  return buffer < 0 ? SPARE : BUFFER_BASE + buffer * BUFFER_SLOTS;
}

export function lostSlot(buffer: number): number {
  return buffer < 0 ? SPARE + 1 : BUFFER_BASE + buffer * BUFFER_SLOTS + 1;
}

/** What the controller is told once (each field optional: only what is new). */
export interface StatsMeta {
  buffers?: { slot: number; map: string; kind: EventBufferKind }[];
  programs?: { slot: number; id: number; name: string; verifiedInsns: number }[];
  maps?: MapStats[];
}

/** The worker's side: slots for the host's hot paths, and the once-only facts sent to the controller. */
export class StatsRecorder {
  readonly counts: Float64Array;
  private readonly bufferSlots = new Map<object, number>();
  private readonly programSlots = new Map<BpfObject, { fd: number; slot: number }[]>();
  private nextProgram = 0;

  constructor(sab: SharedArrayBuffer, private readonly tell: (meta: StatsMeta) => void) {
    this.counts = new Float64Array(sab);
  }

  /** The buffer's number (for deliveredSlot/lostSlot), told to the controller the first time; -1 past MAX_BUFFERS. */
  bufferIndex(buffer: object, map: string, kind: EventBufferKind): number {
    let i = this.bufferSlots.get(buffer);
    if (i !== undefined) return i;
    i = this.bufferSlots.size < MAX_BUFFERS ? this.bufferSlots.size : -1;
    this.bufferSlots.set(buffer, i);
    if (i >= 0) this.tell({ buffers: [{ slot: i, map, kind }] });
    return i;
  }

  /** After a load: the object's programs (ids, verifier figures) and maps (ids, memory). */
  objectLoaded(object: BpfObject): void {
    const programs: NonNullable<StatsMeta['programs']> = [];
    const slots: { fd: number; slot: number }[] = [];
    for (const p of object.loadedPrograms()) {
      if (this.nextProgram >= MAX_PROGRAMS) break;
      try {
        const info = programInfoByFd(p.fd);
        const slot = this.nextProgram++;
        slots.push({ fd: p.fd, slot });
        programs.push({ slot, id: info.id, name: p.name, verifiedInsns: info.verifiedInsns });
      } catch {
        // a program the kernel will not describe is left out of the stats, not the module
      }
    }
    const maps: MapStats[] = [];
    for (const m of object.maps.values()) {
      try {
        const { id, type } = mapIdByFd(m.fd);
        maps.push({ name: m.name, id, type, memoryBytes: mapMemoryBytes(m.fd) });
      } catch {
        // as above
      }
    }
    this.programSlots.set(object, slots);
    this.tell({ programs, maps });
  }

  /** Before an object closes: its programs' last run count and time, which the controller can no longer read by id. */
  objectClosing(object: BpfObject): void {
    const slots = this.programSlots.get(object);
    if (!slots) return;
    this.programSlots.delete(object);
    for (const { fd, slot } of slots) {
      const at = PROGRAM_BASE + slot * PROGRAM_SLOTS;
      try {
        const info = programInfoByFd(fd);
        this.counts[at + 1] = info.runCount;
        this.counts[at + 2] = info.runTimeNs;
      } catch {
        // keep zeros
      }
      this.counts[at] = 1;
    }
  }
}
