// The controlling thread's side of a module's stats (module-stats.ts): the worker's slots and
// the facts it told once, made into ModuleStats. A live program's run count and time come from
// the kernel by id; once its object closed, from the figures the worker wrote just before.
import { programInfoById } from './bpf/bpf-info.ts';
import { deliveredSlot, HOST_CALL_KINDS, lostSlot, PROGRAM_BASE, PROGRAM_SLOTS, type StatsMeta } from './module-stats.ts';
import type { BufferStats, MapStats, ModuleStats, ProgramStats } from './contract.ts';

export class ModuleStatsReader {
  private readonly counts: Float64Array;
  private readonly buffers: NonNullable<StatsMeta['buffers']> = [];
  private readonly programs: NonNullable<StatsMeta['programs']> = [];
  private readonly maps: MapStats[] = [];

  constructor(sab: SharedArrayBuffer, private readonly kernelStats: () => boolean) {
    this.counts = new Float64Array(sab);
  }

  add(meta: StatsMeta): void {
    if (meta.buffers) this.buffers.push(...meta.buffers);
    if (meta.programs) this.programs.push(...meta.programs);
    if (meta.maps) this.maps.push(...meta.maps);
  }

  read(): ModuleStats {
    const c = this.counts;
    const hostCalls: Record<string, number> = {};
    HOST_CALL_KINDS.forEach((kind, i) => {
      if (c[i]! > 0) hostCalls[kind] = c[i]!;
    });
    const buffers = this.buffers.map(({ slot, map, kind }): BufferStats => {
      const b: BufferStats = { map, kind, delivered: c[deliveredSlot(slot)]! };
      if (kind === 'perf') b.lost = c[lostSlot(slot)]!;
      return b;
    });
    const programs = this.programs.map(({ slot, id, name, verifiedInsns }): ProgramStats => {
      const at = PROGRAM_BASE + slot * PROGRAM_SLOTS;
      let runCount = 0, runTimeNs = 0;
      if (c[at] !== 1) {
        const live = programInfoById(id);
        // The id could name another program once ours closed: only one of the same name counts.
        if (live && name.startsWith(live.name)) ({ runCount, runTimeNs } = live);
      }
      // Closed (perhaps since the read above): the figures the worker read just before.
      if (c[at] === 1) {
        runCount = c[at + 1]!;
        runTimeNs = c[at + 2]!;
      }
      return { name, id, runCount, runTimeNs, verifiedInsns };
    });
    return { hostCalls, buffers, programs, maps: this.maps.map((m) => ({ ...m })), kernelStats: this.kernelStats() };
  }
}
