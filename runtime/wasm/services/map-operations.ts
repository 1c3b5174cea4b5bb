// The guest's map access: its fd for a map by name, map_operate's four commands straight on
// guest memory (no copy for plain maps), and reads and writes of an object's global sections.
// Map fds are the guest's own numbers (guest-fd-table.ts); a value that holds an fd (map-in-map,
// sockmap, ...) has the guest's number replaced by the host fd it stands for.
import type { BpfObject } from '../../bpf/bpf-object.ts';
import { BpfError } from '../../bpf/errors.ts';
import { lib, libRaw } from '../../bpf/libbpf.ts';
import { FD_VALUED_MAP_TYPES, valueBufferSize, type MapInfo } from '../../bpf/map-types.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import type { GuestFdEntry, GuestFdTable } from './guest-fd-table.ts';
import { toOffset, type GuestMemory, type GuestPtr } from '../guest-memory.ts';

const { EBADF, EINVAL, ENOENT } = LINUX_ERRNO;

const MapCommand = { LOOKUP: 1, UPDATE: 2, DELETE: 3, GET_NEXT_KEY: 4 } as const;

/** Guest fds up to this many get a slot in the map_operate cache (higher ones are looked up each time). */
const MAX_CACHED_FD = 4096;

interface MapFacts {
  entry: GuestFdEntry;
  hostFd: number;
  info: MapInfo;
  keySize: number;
  /** Bytes of a value buffer (per-CPU maps: one 8-byte slot per possible CPU). */
  valueLen: number;
  /** Values are fds (map-in-map, sockmap, ...): the guest's fd in an update is translated. */
  fdValued: boolean;
}

export class MapOperations {
  private readonly cache: (MapFacts | undefined)[] = [];

  /** `memory`: the guest's memory (it exists once the instance is bound). */
  constructor(private readonly fds: GuestFdTable, private readonly memory: () => GuestMemory, private readonly possibleCpus: number) {}

  /** The guest's fd for `object`'s map `name` (".bss", ".rodata", ... name its globals). */
  fdByName(object: BpfObject, name: string): number {
    const hostFd = object.mapFdByName(name);
    const info = hostFd >= 0 ? object.maps.get(hostFd) : undefined;
    if (!info) throw new BpfError('WASMBPF_BPF_NO_MAP', `no map named '${name}' in the eBPF object`, ENOENT);
    return this.fds.add({ kind: 'map', hostFd, object, info });
  }

  /**
   * One map command on guest memory: 0 (or the kernel's result) on success, -ENOENT (Linux) for
   * a missing key, which is normal map traffic (it ends an iteration); other failures throw.
   */
  operate(guestFd: number, cmd: number, key: GuestPtr, value: GuestPtr, nextKey: GuestPtr, flags: bigint): number {
    const f = this.facts(guestFd);
    const mem = this.memory();
    const fd = f.hostFd;
    let r: number;
    switch (cmd) {
      case MapCommand.LOOKUP:
        r = libRaw.map_lookup(fd, mem.address(key, f.keySize), mem.address(value, f.valueLen), flags) as number;
        break;
      case MapCommand.UPDATE:
        r = f.fdValued
          ? lib.map_update(fd, mem.bytes(key, f.keySize), this.hostFdValue(mem.bytes(value, f.valueLen)), flags) as number
          : libRaw.map_update(fd, mem.address(key, f.keySize), mem.address(value, f.valueLen), flags) as number;
        break;
      case MapCommand.DELETE:
        r = libRaw.map_delete(fd, mem.address(key, f.keySize), flags) as number;
        break;
      case MapCommand.GET_NEXT_KEY:
        // A NULL key asks for the first key, as in the kernel's BPF_MAP_GET_NEXT_KEY.
        r = libRaw.map_get_next_key(fd, toOffset(key) === 0 ? 0 : mem.address(key, f.keySize), mem.address(nextKey, f.keySize)) as number;
        break;
      default:
        throw new BpfError('WASMBPF_BPF_MAP_CMD', `map command ${cmd} is not one of 1 lookup, 2 update, 3 delete, 4 get_next_key`, EINVAL);
    }
    if (r === -ENOENT) return r;
    if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `map '${f.info.name}' command ${cmd}`, -r);
    return r;
  }

  /**
   * Reads `object`'s global section `name` (".bss", ".data", ".rodata") into the guest's buffer,
   * or writes it from there when `write`: at most `len` bytes, the buffer taken once its size
   * is known. The bytes copied.
   */
  globalData(object: BpfObject, name: string, len: number, guestBuffer: (bytes: number) => Uint8Array, write: boolean): number {
    const fd = object.mapFdByName(name);
    const info = fd >= 0 ? object.maps.get(fd) : undefined;
    if (!info) throw new BpfError('WASMBPF_BPF_NO_MAP', `the eBPF object has no '${name}' section`, ENOENT);
    const value = Buffer.alloc(info.valueSize);
    const key = Buffer.alloc(4);
    let r = lib.map_lookup(fd, key, value, 0n) as number;
    if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `cannot read ${name}`, -r);
    const n = Math.min(len, info.valueSize);
    const guestBuf = guestBuffer(n);
    if (write) {
      value.set(guestBuf);
      r = lib.map_update(fd, key, value, 0n) as number;
      if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `cannot write ${name}`, -r);
    } else {
      guestBuf.set(value.subarray(0, n));
    }
    return n;
  }

  /** What map_operate needs about a guest map fd, derived once; valid while the table still holds `entry`. */
  private facts(guestFd: number): MapFacts {
    const cached = this.cache[guestFd];
    const entry = this.fds.get(guestFd);
    if (cached !== undefined && cached.entry === entry) return cached;
    if (entry?.kind !== 'map') throw new BpfError('WASMBPF_BPF_BADF', `fd ${guestFd} is not a map of this module`, EBADF);
    const { hostFd, info } = entry;
    const facts: MapFacts = {
      entry, hostFd, info, keySize: info.keySize,
      valueLen: valueBufferSize(info.type, info.valueSize, this.possibleCpus), fdValued: FD_VALUED_MAP_TYPES.has(info.type),
    };
    if (Number.isInteger(guestFd) && guestFd >= 0 && guestFd < MAX_CACHED_FD) this.cache[guestFd] = facts;
    return facts;
  }

  /**
   * The value of an update to a map whose values are fds (map-in-map, sockmap, ...), with the
   * guest's fd number replaced by the host fd it stands for: a guest can only store its own maps
   * and sockets, never an fd it was not given.
   */
  private hostFdValue(guestValue: Uint8Array): Buffer {
    const value = Buffer.from(guestValue);
    if (value.length < 4) throw new BpfError('WASMBPF_BPF_MAP', `a value of ${value.length} bytes cannot hold an fd`, EINVAL);
    const guestFd = value.readInt32LE(0);
    const e = this.fds.get(guestFd);
    if (!e) throw new BpfError('WASMBPF_BPF_BADF', `fd ${guestFd} in the value is not a map or socket of this module`, EBADF);
    value.writeInt32LE(e.hostFd, 0);
    if (value.length >= 8) value.writeInt32LE(0, 4);
    return value;
  }
}
