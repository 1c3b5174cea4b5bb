// Removing a tc filter we attached, from what the ledger records of it: used both by a normal
// detach and by the reaper after a terminated worker, so both undo the attach the same way.
import { koffi, lib, TcHook, TcOpts } from './libbpf.ts';

export const BPF_TC_INGRESS = 1;
export const BPF_TC_EGRESS = 2;

export interface TcFilter {
  ifindex: number;
  attachPoint: number;
  handle: number;
  priority: number;
  /** We created the clsact qdisc, so removing it is ours to do. */
  createdHook: boolean;
}

export function detachTcFilter(f: TcFilter): void {
  const hook = { sz: koffi.sizeof(TcHook), ifindex: f.ifindex, attach_point: f.attachPoint, parent: 0 };
  lib.tc_detach(hook, { sz: koffi.sizeof(TcOpts), prog_fd: 0, flags: 0, prog_id: 0, handle: f.handle, priority: f.priority });
  // Remove the clsact qdisc only if we made it: other tools may have filters on it.
  if (f.createdHook) lib.tc_hook_destroy({ ...hook, attach_point: BPF_TC_INGRESS | BPF_TC_EGRESS });
}

/** The filter packed into a ledger entry's three words, and back. */
export function packTcFilter(f: TcFilter): [bigint, bigint, bigint] {
  return [BigInt(f.ifindex), BigInt(f.attachPoint) | (f.createdHook ? 0x100n : 0n), BigInt(f.handle) | (BigInt(f.priority) << 32n)];
}

export function unpackTcFilter(a: bigint, b: bigint, c: bigint): TcFilter {
  return { ifindex: Number(a), attachPoint: Number(b & 0xffn), createdHook: ((b >> 8n) & 1n) === 1n, handle: Number(c & 0xffffffffn), priority: Number(c >> 32n) };
}
