// The guest-facing eBPF ABI: the `wasm_bpf` imports (byte-compatible with wasm-bpf), the
// `callback-wrapper` poll TinyGo guests use, and our `wasmbpf_v1` extensions (docs/abi.md).
//
// Each import validates everything the guest passes (pointers, lengths, handles, fds) and turns
// every failure into a negative errno plus a message on the module's stderr; nothing a guest
// passes can crash the host or reach an fd it does not own. Guest traps inside a record callback
// propagate out of the import and end the instance.
import fs from 'node:fs';
import { BpfError } from '../bpf/errors.ts';
import { AttachKind, BpfObject, type AttachOptions, type LogRunner } from '../bpf/bpf-object.ts';
import { koffi, lib, libcFns, libRaw, lastErrno } from '../bpf/libbpf.ts';
import { MapType, valueBufferSize, type MapInfo } from '../bpf/map-types.ts';
import { Kind, type ResourceLedger } from '../bpf/resource-ledger.ts';
import type { ObjectSelector } from '../object-selector.ts';
import { autoAttachTarget, checkAttachTarget, checkMapType, checkProgramType, checkRawSocket, PolicyError, type EbpfPolicy } from '../policy.ts';
import type { RecordSink } from '../bpf/event-buffer.ts';
import { deliveredSlot, hostCallSlot, lostSlot, newStatsBuffer, StatsRecorder } from '../module-stats.ts';
import { GuestFdTable, type GuestFdEntry } from './guest-fd-table.ts';
import { GuestFault, GuestMemory, setAddressResolver, toOffset } from './guest-memory.ts';
import { BLOCK_SLICE_MS, MAX_POLL_BLOCK_MS, type StopSignal } from './stop-signal.ts';
import { guestErrno, LINUX_ERRNO } from '../errno.ts';

// The guest memory's native address comes from koffi; guest-memory.ts stays free of the FFI.
setAddressResolver((buffer) => koffi.address(buffer));

const { EPERM, ENOENT, EINTR, EBADF, EFAULT, EINVAL, ENODEV, EOPNOTSUPP } = LINUX_ERRNO;
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/** Map types whose values are fds (prog_array, perf_event_array, cgroup_array, array/hash_of_maps, sockmap, xskmap, sockhash, reuseport_sockarray). */
const FD_VALUED_MAPS = new Set([3, 4, 8, 12, 13, 15, 17, 18, 20]);

const CMD_LOOKUP = 1, CMD_UPDATE = 2, CMD_DELETE = 3, CMD_GET_NEXT_KEY = 4;

type Ptr = number | bigint;

export interface HostDeps {
  stderrFd: number;
  runLogged: LogRunner;
  ledger: ResourceLedger;
  stop: StopSignal;
  selector: ObjectSelector;
  policy: EbpfPolicy;
  /** Start-up milestones, each time one is reached (the worker reports the first of each). */
  onMilestone?: (milestone: 'bpf-loaded' | 'attached') => void;
  /** The guest's linear memory size, at bind and whenever the host sees it grown. */
  onMemorySize?: (bytes: number) => void;
  /** The module's counters (module-stats.ts); without it they are kept in a buffer nobody reads. */
  stats?: StatsRecorder;
}

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

interface GuestExports {
  memory: WebAssembly.Memory;
  table?: WebAssembly.Table;
  goCallback?: (ctx: number, data: number, size: number) => number;
}

export class WasmBpfHost {
  private readonly objects = new Map<bigint, BpfObject>();
  private nextHandle = 1n;
  private guest: GuestExports | undefined;
  private memory: GuestMemory | undefined;
  private lastError = '';
  private readonly sockets = new Map<number, number>(); // host fd -> ledger slot
  private readonly fds = new GuestFdTable();
  private readonly mapCache: (MapFacts | undefined)[] = [];
  private readonly possibleCpus: number;

  private readonly stats: StatsRecorder;
  private readonly counts: Float64Array;

  constructor(private readonly deps: HostDeps) {
    this.possibleCpus = lib.num_possible_cpus() as number;
    this.stats = deps.stats ?? new StatsRecorder(newStatsBuffer(), () => undefined);
    this.counts = this.stats.counts;
  }

  /** After instantiation: the guest's memory, function table and go-callback export. */
  bind(instance: WebAssembly.Instance): void {
    const e = instance.exports;
    this.guest = {
      memory: e.memory as WebAssembly.Memory,
      table: e.__indirect_function_table as WebAssembly.Table | undefined,
      goCallback: e['go-callback'] as GuestExports['goCallback'],
    };
    this.memory = new GuestMemory(this.guest.memory, this.deps.onMemorySize);
  }

  imports(): WebAssembly.Imports {
    const modules = this.rawImports();
    const stop = this.deps.stop;
    const counts = this.counts;
    const out: WebAssembly.Imports = {};
    for (const [mod, fns] of Object.entries(modules)) {
      const wrapped: Record<string, (...a: never[]) => unknown> = {};
      for (const [name, fn] of Object.entries(fns as Record<string, (a?: never, b?: never, c?: never, d?: never, e?: never, f?: never, g?: never) => unknown>)) {
        const slot = hostCallSlot(name);
        // Fixed parameters, not (...args) => fn(...args): no arguments array per call on the
        // hot imports (no import takes more than seven). The call count is one typed-array add.
        wrapped[name] = (a?: never, b?: never, c?: never, d?: never, e?: never, f?: never, g?: never) => {
          counts[slot]++;
          stop.check();
          return fn(a, b, c, d, e, f, g);
        };
      }
      out[mod] = wrapped;
    }
    return out;
  }

  private rawImports(): Record<string, Record<string, (...a: never[]) => unknown>> {
    return {
      wasm_bpf: {
        wasm_load_bpf_object: (buf: Ptr, len: number) => this.loadObject(buf, len, true),
        wasm_attach_bpf_program: (obj: bigint, name: Ptr, target: Ptr) => this.guard('attach', () => {
          const o = this.object(obj);
          const prog = this.mem().cString(name, 256);
          const t = this.mem().optionalCString(target);
          checkAttachTarget(this.deps.policy, prog, this.compatTarget(o, prog, t));
          try {
            o.attachCompat(prog, t);
          } catch (err) {
            // Skeletons auto-attach every program and skip those libbpf cannot auto-attach (xdp,
            // tc, socket filters) on EOPNOTSUPP, as libbpf's own skeleton does: no stderr noise.
            if (!t && err instanceof BpfError && err.errno === EOPNOTSUPP) {
              this.lastError = err.message;
              return guestErrno(EOPNOTSUPP);
            }
            throw err;
          }
          this.deps.onMilestone?.('attached');
          return 0;
        }),
        wasm_bpf_buffer_poll: (obj: bigint, fd: number, sampleFn: number, ctx: Ptr, buf: Ptr, len: number, timeout: number) =>
          this.poll(obj, fd, this.tableCallback(sampleFn), toOffset(ctx), buf, len, timeout, false),
        wasm_bpf_map_fd_by_name: (obj: bigint, name: Ptr) => this.guard('map_fd_by_name', () => {
          const mapName = this.mem().cString(name, 256);
          const object = this.object(obj);
          const hostFd = object.mapFdByName(mapName);
          const info = hostFd >= 0 ? object.maps.get(hostFd) : undefined;
          if (!info) throw new BpfError('WASMBPF_BPF_NO_MAP', `no map named '${mapName}' in the eBPF object`, ENOENT);
          return this.fds.add({ kind: 'map', hostFd, object, info });
        }),
        // The hottest import: no closure per call, unlike guard().
        wasm_bpf_map_operate: (fd: number, cmd: number, key: Ptr, value: Ptr, nextKey: Ptr, flags: bigint) => {
          try {
            return this.mapOperate(fd, cmd, key, value, nextKey, flags);
          } catch (err) {
            return this.fail('map_operate', err);
          }
        },
        wasm_close_bpf_object: (obj: bigint) => this.guard('close', () => {
          const object = this.object(obj);
          this.fds.removeObject(object);
          this.stats.objectClosing(object);
          object.close();
          this.objects.delete(BigInt.asUintN(64, obj));
          return 0;
        }),
      },
      'callback-wrapper': {
        wasm_bpf_buffer_poll: (obj: bigint, fd: number, ctx: Ptr, buf: Ptr, len: number, timeout: number) =>
          this.poll(obj, fd, this.goCallback(), toOffset(ctx), buf, len, timeout, false),
      },
      wasmbpf_v1: {
        open_object: (buf: Ptr, len: number) => this.loadObject(buf, len, false),
        set_autoload: (obj: bigint, prog: Ptr, on: number) => this.guard('set_autoload', () => {
          this.object(obj).setAutoload(this.mem().cString(prog, 256), on !== 0);
          return 0;
        }),
        load_object: (obj: bigint) => this.guard('load_object', () => {
          this.loadChecked(this.object(obj));
          return 0;
        }),
        attach: (obj: bigint, prog: Ptr, opts: Ptr, optsLen: number) => this.guard('attach', () => {
          const o = this.object(obj);
          const name = this.mem().cString(prog, 256);
          const options = this.attachOptions(opts, optsLen);
          checkAttachTarget(this.deps.policy, name, this.optionsTarget(o, name, options));
          o.attach(name, options);
          this.deps.onMilestone?.('attached');
          return 0;
        }),
        open_raw_socket: (ifname: Ptr) => this.guard('open_raw_socket', () => {
          checkRawSocket(this.deps.policy);
          return this.openRawSocket(this.mem().cString(ifname, 64));
        }),
        num_possible_cpus: () => this.possibleCpus,
        global_data: (obj: bigint, section: Ptr, buf: Ptr, len: number, write: number) => this.guard('global_data', () => {
          const o = this.object(obj);
          const name = this.mem().cString(section, 64);
          const fd = o.mapFdByName(name);
          const info = fd >= 0 ? o.maps.get(fd) : undefined;
          if (!info) throw new BpfError('WASMBPF_BPF_NO_MAP', `the eBPF object has no '${name}' section`, ENOENT);
          const value = Buffer.alloc(info.valueSize);
          const key = Buffer.alloc(4);
          let r = lib.map_lookup(fd, key, value, 0n) as number;
          if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `cannot read ${name}`, -r);
          const n = Math.min(len, info.valueSize);
          const guestBuf = this.mem().bytes(buf, n);
          if (write) {
            value.set(guestBuf);
            r = lib.map_update(fd, key, value, 0n) as number;
            if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `cannot write ${name}`, -r);
          } else {
            guestBuf.set(value.subarray(0, n));
          }
          return n;
        }),
        last_error: (buf: Ptr, len: number) => {
          const text = Buffer.from(this.lastError);
          try {
            if (len > 0) {
              const n = Math.min(text.length, len - 1);
              const out = this.mem().bytes(buf, n + 1);
              out.set(text.subarray(0, n));
              out[n] = 0;
            }
          } catch {
            return guestErrno(EFAULT);
          }
          return text.length;
        },
        buffer_poll: (obj: bigint, fd: number, sampleFn: number, ctx: Ptr, buf: Ptr, len: number, timeout: number) =>
          this.poll(obj, fd, this.tableCallback(sampleFn), toOffset(ctx), buf, len, timeout, true),
      },
    };
  }

  /** Closes every object (and its links and buffers) and socket the guest left open. Idempotent. */
  close(): void {
    for (const o of this.objects.values()) {
      this.fds.removeObject(o);
      this.stats.objectClosing(o);
      o.close();
    }
    this.objects.clear();
    for (const { guestFd } of this.fds.sockets()) this.fds.remove(guestFd);
    for (const [fd, slot] of this.sockets) {
      libcFns.close(fd);
      this.deps.ledger.remove(slot);
    }
    this.sockets.clear();
  }

  private mem(): GuestMemory {
    if (!this.memory) throw new GuestFault('the module exports no memory');
    return this.memory;
  }

  private object(handle: bigint): BpfObject {
    const o = this.objects.get(BigInt.asUintN(64, handle));
    if (!o) throw new BpfError('WASMBPF_BPF_BAD_HANDLE', `${handle} is not an eBPF object handle of this module`, ENOENT);
    return o;
  }

  /** A guest map fd's entry; only numbers from this module's own table are accepted. */
  private mapOfFd(fd: number): { hostFd: number; object: BpfObject; info: MapInfo } {
    const e = this.fds.get(fd);
    if (e?.kind !== 'map') throw new BpfError('WASMBPF_BPF_BADF', `fd ${fd} is not a map of this module`, EBADF);
    return e;
  }

  private fail(what: string, err: unknown): number {
    let errno = EINVAL;
    let message: string;
    if (err instanceof BpfError) {
      errno = err.errno;
      message = err.message;
      this.lastError = err.log ? `${message}\n${err.log}` : message;
    } else if (err instanceof PolicyError) {
      errno = EPERM;
      message = err.message;
      this.lastError = message;
    } else if (err instanceof GuestFault) {
      errno = EFAULT;
      message = `bad pointer: ${err.message}`;
      this.lastError = message;
    } else {
      throw err; // a trap in a guest callback, a kill, or a host bug: end the instance
    }
    this.writeStderr(`wasmbpf: ${what}: ${message}\n`);
    return guestErrno(errno);
  }

  private guard(what: string, fn: () => number): number {
    try {
      return fn();
    } catch (err) {
      return this.fail(what, err);
    }
  }

  private writeStderr(text: string): void {
    try {
      fs.writeSync(this.deps.stderrFd, text);
    } catch {
      // stderr gone (closed FIFO): nothing to tell
    }
  }

  private loadObject(buf: Ptr, len: number, load: boolean): bigint {
    try {
      if (len <= 0 || len > MAX_OBJECT_BYTES) throw new BpfError('WASMBPF_BPF_OPEN', `object size ${len} is invalid`, EINVAL);
      const guestBytes = this.mem().bytes(buf, len);
      const object = this.deps.selector.open(guestBytes, this.deps.runLogged, this.deps.ledger);
      try {
        if (load) this.loadChecked(object);
      } catch (err) {
        object.close();
        throw err;
      }
      const handle = this.nextHandle++;
      this.objects.set(handle, object);
      return handle;
    } catch (err) {
      this.fail(load ? 'load eBPF object' : 'open eBPF object', err);
      return 0n;
    }
  }

  /** Loads an object after checking its programs and maps against the module's policy. */
  private loadChecked(object: BpfObject): void {
    const policy = this.deps.policy;
    for (const p of object.programs()) if (p.autoload) checkProgramType(policy, p.name, p.section);
    for (const m of object.mapTypes()) checkMapType(policy, m.name, m.type);
    object.load();
    this.stats.objectLoaded(object);
    this.deps.onMilestone?.('bpf-loaded');
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

  /** What wasm_attach_bpf_program with this target reaches, in policy notation. */
  private compatTarget(o: BpfObject, prog: string, target: string | undefined): string {
    const section = o.sectionOf(prog);
    if (!target) return autoAttachTarget(section);
    if (section.startsWith('xdp') || section.startsWith('tc') || section.startsWith('classifier')) return `interface:${target}`;
    if (section.startsWith('cgroup') || section.startsWith('sockops')) return `cgroup:${target}`;
    return autoAttachTarget(section);
  }

  private optionsTarget(o: BpfObject, prog: string, opts: AttachOptions): string {
    const t = opts.target ?? '';
    switch (opts.kind) {
      case AttachKind.UPROBE:
      case AttachKind.URETPROBE: return `uprobe:${t}:${opts.func ?? `+${opts.offset ?? 0n}`}`;
      case AttachKind.XDP:
      case AttachKind.TC_INGRESS:
      case AttachKind.TC_EGRESS: return `interface:${t}`;
      case AttachKind.CGROUP: return `cgroup:${t}`;
      case AttachKind.KPROBE:
      case AttachKind.KRETPROBE: return `kprobe:${t}`;
      case AttachKind.TRACEPOINT: return `tracepoint:${t.replace(':', '/')}`;
      case AttachKind.SOCKET: return 'socket';
      default: return autoAttachTarget(o.sectionOf(prog));
    }
  }

  /** What map_operate needs about a guest map fd, derived once; valid while the table still holds `entry`. */
  private mapFacts(guestFd: number): MapFacts {
    const cached = this.mapCache[guestFd];
    const entry = this.fds.get(guestFd);
    if (cached !== undefined && cached.entry === entry) return cached;
    const { hostFd, info } = this.mapOfFd(guestFd);
    const facts: MapFacts = {
      entry: entry!, hostFd, info, keySize: info.keySize,
      valueLen: valueBufferSize(info.type, info.valueSize, this.possibleCpus), fdValued: FD_VALUED_MAPS.has(info.type),
    };
    if (Number.isInteger(guestFd) && guestFd >= 0 && guestFd < MAX_CACHED_FD) this.mapCache[guestFd] = facts;
    return facts;
  }

  private mapOperate(guestFd: number, cmd: number, key: Ptr, value: Ptr, nextKey: Ptr, flags: bigint): number {
    const f = this.mapFacts(guestFd);
    const m = this.mem();
    const fd = f.hostFd;
    let r: number;
    switch (cmd) {
      case CMD_LOOKUP:
        r = libRaw.map_lookup(fd, m.address(key, f.keySize), m.address(value, f.valueLen), flags) as number;
        break;
      case CMD_UPDATE:
        r = f.fdValued
          ? lib.map_update(fd, m.bytes(key, f.keySize), this.hostFdValue(m.bytes(value, f.valueLen)), flags) as number
          : libRaw.map_update(fd, m.address(key, f.keySize), m.address(value, f.valueLen), flags) as number;
        break;
      case CMD_DELETE:
        r = libRaw.map_delete(fd, m.address(key, f.keySize), flags) as number;
        break;
      case CMD_GET_NEXT_KEY:
        // A NULL key asks for the first key, as in the kernel's BPF_MAP_GET_NEXT_KEY.
        r = libRaw.map_get_next_key(fd, toOffset(key) === 0 ? 0 : m.address(key, f.keySize), m.address(nextKey, f.keySize)) as number;
        break;
      default:
        throw new BpfError('WASMBPF_BPF_MAP_CMD', `map command ${cmd} is not one of 1 lookup, 2 update, 3 delete, 4 get_next_key`, EINVAL);
    }
    // Missing keys are normal map traffic (ENOENT ends an iteration): no stderr noise for them.
    if (r === -ENOENT) return guestErrno(ENOENT);
    if (r < 0) throw new BpfError('WASMBPF_BPF_MAP', `map '${f.info.name}' command ${cmd}`, -r);
    return r;
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

  /** The guest's callback at a table index, looked up at the first record of a poll (table.get per record costs) and kept for the rest of it. */
  private tableCallback(index: number): (ctx: number, data: number, size: number) => number {
    let found: ((...a: number[]) => number) | undefined;
    return (ctx, data, size) => {
      if (found) return found(ctx, data, size) | 0;
      const table = this.guest?.table;
      if (!table) throw new BpfError('WASMBPF_NO_TABLE', 'the module does not export __indirect_function_table (link with --export-table)', EINVAL);
      const fn = (index >>> 0 < table.length ? table.get(index >>> 0) : null) as ((...a: number[]) => number) | null; // past the end too: EINVAL, not get()'s RangeError
      if (typeof fn !== 'function') throw new BpfError('WASMBPF_BAD_CALLBACK', `table entry ${index} is not a function`, EINVAL);
      found = fn;
      return fn(ctx, data, size) | 0;
    };
  }

  private goCallback(): (ctx: number, data: number, size: number) => number {
    return (ctx, data, size) => {
      const fn = this.guest?.goCallback;
      if (!fn) throw new BpfError('WASMBPF_BAD_CALLBACK', "the module does not export 'go-callback'", EINVAL);
      return fn(ctx, data, size) | 0;
    };
  }

  private poll(obj: bigint, fd: number, callback: (ctx: number, data: number, size: number) => number,
    ctx: number, buf: Ptr, len: number, timeoutMs: number, returnCount: boolean): number {
    let delivered = 0;
    const result = this.guard('buffer_poll', () => {
      const o = this.object(obj);
      const entry = this.fds.get(fd);
      if (entry?.kind !== 'map' || entry.object !== o) throw new BpfError('WASMBPF_BPF_BADF', `fd ${fd} is not a map of this eBPF object`, EBADF);
      const dataAt = toOffset(buf);
      this.mem().bytes(dataAt, len); // validate once; re-checked per record (memory may grow)
      const buffer = o.buffer(entry.hostFd);
      const counted = this.stats.bufferIndex(buffer, entry.info.name, buffer.kind);
      const counts = this.counts;
      const deliveredAt = deliveredSlot(counted);
      const m = this.mem();
      // One closure per poll, not per record: copy the record into the guest's buffer, call back.
      // Counted per record (one typed-array add), so the figure is live during a long poll.
      const sink: RecordSink = (src, src32, at, size) => {
        counts[deliveredAt]++;
        m.copyIn(dataAt, src, src32, at, size < len ? size : len);
        return callback(ctx, dataAt, size);
      };
      const deadline = Date.now() + (timeoutMs < 0 ? MAX_POLL_BLOCK_MS : Math.min(timeoutMs, MAX_POLL_BLOCK_MS));
      for (;;) {
        this.deps.stop.check();
        // Told of a stop already: records still there are handed over, but a poll that would
        // block ends the guest (it will not stop by itself, stop-signal.ts interrupt()).
        const lastLook = this.deps.stop.told && timeoutMs !== 0;
        if (!lastLook && this.deps.stop.interrupt(timeoutMs !== 0)) return guestErrno(EINTR);
        const slice = lastLook ? 0 : Math.max(0, Math.min(BLOCK_SLICE_MS, deadline - Date.now()));
        const r = o.poll(entry.hostFd, slice, sink); // not buffer.poll: a close from the callback waits for the poll
        const lost = buffer.takeLost();
        if (lost > 0n) {
          this.counts[lostSlot(counted)] += Number(lost);
          this.writeStderr(`wasmbpf: lost ${lost} perf buffer samples on map fd ${fd}\n`);
        }
        if (r < 0 && r !== -EINTR) throw new BpfError('WASMBPF_BPF_POLL', `polling map fd ${fd}`, -r);
        if (r > 0) delivered += r;
        if (delivered > 0 || Date.now() >= deadline) return 0;
        if (lastLook) this.deps.stop.interrupt(true); // throws GuestKilled: it would block
      }
    });
    if (result < 0) return result;
    return returnCount ? delivered : 0;
  }

  private attachOptions(ptr: Ptr, len: number): AttachOptions {
    if (len < 32) throw new BpfError('WASMBPF_BAD_OPTS', `attach options are ${len} bytes, expected 32`, EINVAL);
    const b = this.mem().bytes(ptr, 32);
    const v = new DataView(b.buffer, b.byteOffset, 32);
    const kind = v.getUint32(0, true);
    if (kind > AttachKind.TRACEPOINT) throw new BpfError('WASMBPF_BAD_OPTS', `unknown attach kind ${kind}`, EINVAL);
    const target = this.mem().optionalCString(v.getUint32(8, true));
    const func = this.mem().optionalCString(v.getUint32(12, true));
    let fd = v.getInt32(24, true);
    if (kind === AttachKind.SOCKET) {
      const e = this.fds.get(fd);
      if (e?.kind !== 'socket') throw new BpfError('WASMBPF_BPF_BADF', `fd ${fd} is not a socket this module opened`, EBADF);
      fd = e.hostFd;
    }
    return { kind, pid: v.getInt32(4, true), target, func, offset: v.getBigUint64(16, true), fd, flags: v.getUint32(28, true) };
  }

  private openRawSocket(ifname: string): number {
    const AF_PACKET = 17, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, ETH_P_ALL_BE = 0x0300;
    let ifindex = 0;
    if (ifname) {
      ifindex = libcFns.if_nametoindex(ifname) as number;
      if (!ifindex) throw new BpfError('WASMBPF_SOCKET', `no network interface named '${ifname}'`, ENODEV);
    }
    const fd = libcFns.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, ETH_P_ALL_BE) as number;
    if (fd < 0) throw new BpfError('WASMBPF_SOCKET', 'cannot open a raw socket', lastErrno() || EPERM);
    // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }
    const addr = Buffer.alloc(20);
    addr.writeUInt16LE(AF_PACKET, 0);
    addr.writeUInt16LE(ETH_P_ALL_BE, 2);
    addr.writeInt32LE(ifindex, 4);
    if ((libcFns.bind(fd, addr, 20) as number) < 0) {
      const errno = lastErrno();
      libcFns.close(fd);
      throw new BpfError('WASMBPF_SOCKET', `cannot bind a raw socket to '${ifname}'`, errno || EINVAL);
    }
    this.sockets.set(fd, this.deps.ledger.add(Kind.FD, BigInt(fd)));
    return this.fds.add({ kind: 'socket', hostFd: fd });
  }
}

