// The eBPF objects one module opened, by the handle the guest holds (counting from 1, per
// module; a handle it was not given is ENOENT). Loading first checks the object's programs and
// maps against the module's policy; closing one drops its maps from the guest's fd table.
import type { BpfObject, LogRunner } from '../../bpf/bpf-object.ts';
import { BpfError } from '../../bpf/errors.ts';
import { MapType } from '../../bpf/map-types.ts';
import type { ResourceLedger } from '../../bpf/resource-ledger.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import type { StatsRecorder } from '../../module-stats.ts';
import type { ObjectSelector } from '../../object-selector.ts';
import { checkMapType, checkProgramType, type EbpfPolicy } from '../../policy.ts';
import type { GuestFdTable } from './guest-fd-table.ts';

export interface ObjectTableDeps {
  runLogged: LogRunner;
  ledger: ResourceLedger;
  selector: ObjectSelector;
  policy: EbpfPolicy;
  stats: StatsRecorder;
  fds: GuestFdTable;
  onLoaded?: () => void;
}

export class ObjectTable {
  private readonly objects = new Map<bigint, BpfObject>();
  private nextHandle = 1n;

  constructor(private readonly deps: ObjectTableDeps) {}

  /** Opens an object from the guest's ELF bytes (the object selector may pick the image's own), loading it too when `load`; its handle. */
  open(guestBytes: Uint8Array, load: boolean): bigint {
    const object = this.deps.selector.open(guestBytes, this.deps.runLogged, this.deps.ledger);
    try {
      if (load) this.load(object);
    } catch (err) {
      object.close();
      throw err;
    }
    const handle = this.nextHandle++;
    this.objects.set(handle, object);
    return handle;
  }

  /** Loads an object after checking its programs and maps against the module's policy. */
  load(object: BpfObject): void {
    const policy = this.deps.policy;
    for (const p of object.programs()) if (p.autoload) checkProgramType(policy, p.name, p.section);
    for (const m of object.mapTypes()) checkMapType(policy, m.name, m.type);
    object.load();
    this.deps.stats.objectLoaded(object);
    this.deps.onLoaded?.();
    // The kernel drops perf event output while no perf buffer is open (a ring buffer keeps it),
    // and guests open theirs at the first poll, after attaching: open them now so no record
    // emitted between attach and that poll is lost.
    for (const info of object.maps.values()) {
      if (info.type !== MapType.PERF_EVENT_ARRAY) continue;
      try {
        object.buffer(info.fd);
      } catch {
        // Not every perf event array is an output channel (e.g. counters read with
        // bpf_perf_event_read); the guest gets any error when it polls the map.
      }
    }
  }

  get(handle: bigint): BpfObject {
    const o = this.objects.get(BigInt.asUintN(64, handle));
    if (!o) throw new BpfError('WASMBPF_BPF_BAD_HANDLE', `${handle} is not an eBPF object handle of this module`, LINUX_ERRNO.ENOENT);
    return o;
  }

  /** Detaches, frees and closes one object; its handle is gone. */
  close(handle: bigint): void {
    this.closeObject(this.get(handle));
    this.objects.delete(BigInt.asUintN(64, handle));
  }

  /** Closes every object the guest left open. Idempotent. */
  closeAll(): void {
    for (const o of this.objects.values()) this.closeObject(o);
    this.objects.clear();
  }

  private closeObject(object: BpfObject): void {
    this.deps.fds.removeObject(object);
    this.deps.stats.objectClosing(object);
    object.close();
  }
}
