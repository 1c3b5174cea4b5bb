// Polling a ring buffer or perf event array of the guest's: every record is copied into the
// guest's buffer and handed to its callback, counted as it goes (module-stats.ts). A poll blocks
// at most MAX_POLL_BLOCK_MS, in slices that look at the stop signal; the first poll that sees a
// stop is told so ('interrupted', EINTR to the guest), and a guest that then would block again is
// ended (stop-signal.ts).
import type { BpfObject } from '../../bpf/bpf-object.ts';
import { BpfError } from '../../bpf/errors.ts';
import type { RecordSink } from '../../bpf/event-buffer.ts';
import type { MapInfo } from '../../bpf/map-types.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import { deliveredSlot, lostSlot, type StatsRecorder } from '../../module-stats.ts';
import type { GuestMemory } from '../guest-memory.ts';
import { BLOCK_SLICE_MS, MAX_POLL_BLOCK_MS, type StopSignal } from '../stop-signal.ts';

/** The guest's record callback: (ctx, data, size) with data an offset in its memory. */
export type GuestRecordCallback = (ctx: number, data: number, size: number) => number;

/** Where records go: the guest's buffer [at, at + len) and its callback with its ctx. */
export interface RecordDelivery {
  memory: GuestMemory;
  at: number;
  len: number;
  ctx: number;
  callback: GuestRecordCallback;
}

export class BufferPolling {
  constructor(private readonly stop: StopSignal, private readonly stats: StatsRecorder, private readonly warn: (text: string) => void) {}

  /**
   * Delivers the records of `object`'s buffer over map `map` (the guest's fd `guestFd`, for
   * messages), waiting up to timeoutMs (< 0: the longest a poll blocks) when there are none.
   * The number delivered, or 'interrupted' when the module is being stopped.
   */
  poll(object: BpfObject, map: { hostFd: number; info: MapInfo }, guestFd: number, to: RecordDelivery, timeoutMs: number): number | 'interrupted' {
    const buffer = object.buffer(map.hostFd);
    const counted = this.stats.bufferIndex(buffer, map.info.name, buffer.kind);
    const counts = this.stats.counts;
    const deliveredAt = deliveredSlot(counted);
    const { memory, at, len, ctx, callback } = to;
    // One closure per poll, not per record: copy the record into the guest's buffer, call back.
    // Counted per record (one typed-array add), so the figure is live during a long poll.
    const sink: RecordSink = (src, src32, from, size) => {
      counts[deliveredAt]++;
      memory.copyIn(at, src, src32, from, size < len ? size : len);
      return callback(ctx, at, size);
    };
    const stop = this.stop;
    let delivered = 0;
    const deadline = Date.now() + (timeoutMs < 0 ? MAX_POLL_BLOCK_MS : Math.min(timeoutMs, MAX_POLL_BLOCK_MS));
    for (;;) {
      stop.check();
      // Told of a stop already: records still there are handed over, but a poll that would
      // block ends the guest (it will not stop by itself, stop-signal.ts interrupt()).
      const lastLook = stop.told && timeoutMs !== 0;
      if (!lastLook && stop.interrupt(timeoutMs !== 0)) return 'interrupted';
      const slice = lastLook ? 0 : Math.max(0, Math.min(BLOCK_SLICE_MS, deadline - Date.now()));
      const r = object.poll(map.hostFd, slice, sink); // not buffer.poll: a close from the callback waits for the poll
      const lost = buffer.takeLost();
      if (lost > 0n) {
        counts[lostSlot(counted)] += Number(lost);
        this.warn(`wasmbpf: lost ${lost} perf buffer samples on map fd ${guestFd}\n`);
      }
      if (r < 0 && r !== -LINUX_ERRNO.EINTR) throw new BpfError('WASMBPF_BPF_POLL', `polling map fd ${guestFd}`, -r);
      if (r > 0) delivered += r;
      if (delivered > 0 || Date.now() >= deadline) return delivered;
      if (lastLook) stop.interrupt(true); // throws GuestKilled: it would block
    }
  }
}
