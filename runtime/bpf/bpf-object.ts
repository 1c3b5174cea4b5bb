// One eBPF object of one module: open, load, attach, its maps, and a close() that detaches every
// link, frees every buffer and closes the object. libbpf calls that may print run through the
// log runner so their messages reach the module's stderr and our errors carry them.
import fs from 'node:fs';
import { LINUX_ERRNO } from '../errno.ts';
import { BpfError } from './errors.ts';
import { isNull, koffi, lastErrno, lib, libcFns, libExtra, ObjectOpenOpts, TcHook, TcOpts, UprobeOpts, type Pointer } from './libbpf.ts';
import { btfFallback, btfHint, KERNEL_BTF, type BtfFallback } from './kernel-btf.ts';
import { EventBuffer } from './event-buffer.ts';
import type { MapInfo } from './map-types.ts';
import { addressOf, Kind, type ResourceLedger } from './resource-ledger.ts';
import { BPF_TC_EGRESS, BPF_TC_INGRESS, detachTcFilter, packTcFilter } from './tc-filter.ts';
import { attachTcx, tcxWanted } from './tcx.ts';
import { journalTcFilter } from './tc-journal.ts';

export type LogRunner = <T>(fn: () => T) => { result: T; log: string };

export const AttachKind = {
  AUTO: 0, UPROBE: 1, URETPROBE: 2, XDP: 3, TC_INGRESS: 4, TC_EGRESS: 5, CGROUP: 6,
  KPROBE: 7, KRETPROBE: 8, SOCKET: 9, TRACEPOINT: 10,
} as const;

export interface AttachOptions {
  kind: number;
  /** uprobes: process id, -1 for any. */
  pid?: number;
  /** binary path, interface, cgroup path, kernel function or "category:name", by kind. */
  target?: string;
  /** uprobe function name. */
  func?: string;
  offset?: bigint;
  /** SOCKET: the socket fd. */
  fd?: number;
  /** XDP flags. */
  flags?: number;
}

interface Attachment {
  describe: string;
  detach(): void;
}

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const { EALREADY, EBADF, EEXIST, EINVAL, ENODEV, ENOENT } = LINUX_ERRNO;

export class BpfObject {
  private obj: Pointer;
  private loaded = false;
  private readonly attachments: Attachment[] = [];
  private readonly buffers = new Map<number, EventBuffer>();
  private mapsByFd = new Map<number, MapInfo>();
  /** Polls of this object's buffers in progress (nested when a record callback polls again). */
  private polling = 0;
  private closeDeferred = false;

  private readonly slot: number;
  /** The object's own BTF for this kernel, when the kernel has none (kernel-btf.ts): until load. */
  private btf: BtfFallback | undefined;
  /** Appended to a load error: why BTF may be missing ('' when the kernel has its own). */
  private btfHint = '';

  private constructor(obj: Pointer, private readonly runLogged: LogRunner, private readonly ledger: ResourceLedger) {
    this.obj = obj;
    this.slot = ledger.add(Kind.OBJECT, addressOf(obj));
  }

  /**
   * Opens (parses, does not load) an object from ELF bytes; libbpf copies them, the caller may
   * reuse its buffer. Where the kernel has no BTF at `kernelBtf`, the object's own BTF for this
   * kernel release, if it carries one, is what libbpf relocates against (kernel-btf.ts).
   */
  static open(bytes: Uint8Array, runLogged: LogRunner, ledger: ResourceLedger, name = 'object', kernelBtf = KERNEL_BTF): BpfObject {
    if (bytes.length === 0) throw new BpfError('WASMBPF_BPF_OPEN', `cannot open eBPF ${name}: empty buffer`, EINVAL);
    const btf = btfFallback(bytes, kernelBtf);
    const { result, log } = runLogged(() => {
      const p = btf
        ? lib.object_open_mem_opts(bytes, bytes.length, { sz: koffi.sizeof(ObjectOpenOpts), btf_custom_path: btf.path })
        : lib.object_open_mem(bytes, bytes.length, null);
      return { p, errno: isNull(p) ? lastErrno() : 0 };
    });
    if (isNull(result.p)) {
      btf?.remove();
      throw new BpfError('WASMBPF_BPF_OPEN', `cannot open eBPF ${name}`, result.errno || EINVAL, log);
    }
    const o = new BpfObject(result.p, runLogged, ledger);
    o.btf = btf;
    o.btfHint = btf ? '' : btfHint(bytes, kernelBtf);
    return o;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  programNames(): string[] {
    const names: string[] = [];
    for (let p = lib.object_next_program(this.obj, null); !isNull(p); p = lib.object_next_program(this.obj, p)) {
      names.push(lib.program_name(p) as string);
    }
    return names;
  }

  /** Programs with their section and whether they will be loaded. */
  programs(): { name: string; section: string; autoload: boolean }[] {
    const out = [];
    for (let p = lib.object_next_program(this.obj, null); !isNull(p); p = lib.object_next_program(this.obj, p)) {
      out.push({ name: lib.program_name(p) as string, section: lib.program_section(p) as string, autoload: lib.program_autoload(p) as boolean });
    }
    return out;
  }

  /** The loaded programs' names and fds (for their kernel stats: bpf-info.ts); empty before load. */
  loadedPrograms(): { name: string; fd: number }[] {
    const out = [];
    if (!this.loaded || isNull(this.obj)) return [];
    for (let p = lib.object_next_program(this.obj, null); !isNull(p); p = lib.object_next_program(this.obj, p)) {
      const fd = lib.program_fd(p) as number;
      if (fd >= 0) out.push({ name: lib.program_name(p) as string, fd });
    }
    return out;
  }

  /** Maps with their kernel map type; valid before load. */
  mapTypes(): { name: string; type: number }[] {
    const out = [];
    for (let m = lib.object_next_map(this.obj, null); !isNull(m); m = lib.object_next_map(this.obj, m)) {
      out.push({ name: lib.map_name(m) as string, type: lib.map_type(m) as number });
    }
    return out;
  }

  mapNames(): string[] {
    const names: string[] = [];
    for (let m = lib.object_next_map(this.obj, null); !isNull(m); m = lib.object_next_map(this.obj, m)) {
      names.push(lib.map_name(m) as string);
    }
    return names;
  }

  /** Initial contents of the internal data maps (.rodata, .data, ...) by section suffix; before load. */
  globalSections(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (let m = lib.object_next_map(this.obj, null); !isNull(m); m = lib.object_next_map(this.obj, m)) {
      const name = lib.map_name(m) as string;
      const dot = name.indexOf('.');
      if (dot < 0) continue;
      const size = [0];
      const p = libExtra.map_initial_value(m, size);
      if (isNull(p) || !size[0]) continue;
      out.set(name.slice(dot), new Uint8Array(koffi.view(p, size[0])).slice());
    }
    return out;
  }

  /** Replaces an internal data map's initial contents (same size only); before load. */
  setGlobalSection(suffix: string, bytes: Uint8Array): void {
    for (let m = lib.object_next_map(this.obj, null); !isNull(m); m = lib.object_next_map(this.obj, m)) {
      const name = lib.map_name(m) as string;
      if (!name.endsWith(suffix) || name.indexOf('.') !== name.length - suffix.length) continue;
      const r = libExtra.map_set_initial_value(m, bytes, bytes.length) as number;
      if (r < 0) throw new BpfError('WASMBPF_BPF_GLOBALS', `cannot set the initial value of ${suffix} (${bytes.length} bytes)`, -r);
      return;
    }
    throw new BpfError('WASMBPF_BPF_GLOBALS', `the object has no ${suffix} section`, ENOENT);
  }

  load(): void {
    this.assertOpen();
    if (this.loaded) throw new BpfError('WASMBPF_BPF_LOAD', 'eBPF object is already loaded', EALREADY);
    const { result, log } = this.runLogged(() => lib.object_load(this.obj) as number);
    this.btf?.remove(); // libbpf has read it
    if (result < 0) throw new BpfError('WASMBPF_BPF_LOAD', `cannot load eBPF object (see the libbpf/verifier log)${this.btfHint}`, -result, log);
    this.loaded = true;
    const maps = new Map<number, MapInfo>();
    for (let m = lib.object_next_map(this.obj, null); !isNull(m); m = lib.object_next_map(this.obj, m)) {
      const fd = lib.map_fd(m) as number;
      if (fd < 0) continue; // maps with autocreate off
      maps.set(fd, {
        name: lib.map_name(m) as string,
        fd,
        type: lib.map_type(m) as number,
        keySize: lib.map_key_size(m) as number,
        valueSize: lib.map_value_size(m) as number,
      });
    }
    this.mapsByFd = maps;
  }

  /** The maps of this object by fd; empty before load. */
  get maps(): ReadonlyMap<number, MapInfo> {
    return this.mapsByFd;
  }

  mapFdByName(name: string): number {
    for (const info of this.mapsByFd.values()) if (info.name === name) return info.fd;
    // libbpf names internal maps "<obj>.bss" truncated; let guests say ".bss"/".rodata"/".data".
    if (name.startsWith('.')) {
      for (const info of this.mapsByFd.values()) if (info.name.endsWith(name)) return info.fd;
    }
    return -ENOENT;
  }

  setAutoload(progName: string, on: boolean): void {
    this.assertOpen();
    const prog = this.program(progName);
    const r = lib.program_set_autoload(prog, on) as number;
    if (r < 0) throw new BpfError('WASMBPF_BPF_AUTOLOAD', `cannot set autoload of program '${progName}' (only before load)`, -r);
  }

  private program(name: string): Pointer {
    const prog = lib.object_find_program(this.obj, name);
    if (isNull(prog)) throw new BpfError('WASMBPF_BPF_NO_PROGRAM', `no program named '${name}' in the eBPF object (it has: ${this.programNames().join(', ') || 'none'})`, ENOENT);
    return prog;
  }

  /** wasm-bpf semantics: no target = auto-attach from SEC(); else an interface (xdp, tc) or a cgroup path (cgroup_*, sockops). */
  attachCompat(progName: string, target: string | undefined): void {
    if (!target) return this.attach(progName, { kind: AttachKind.AUTO });
    const section = this.sectionOf(progName);
    if (section.startsWith('xdp')) return this.attach(progName, { kind: AttachKind.XDP, target });
    if (section.startsWith('tc') || section.startsWith('classifier')) {
      return this.attach(progName, { kind: section.includes('egress') ? AttachKind.TC_EGRESS : AttachKind.TC_INGRESS, target });
    }
    if (section.startsWith('cgroup') || section.startsWith('sockops')) {
      return this.attach(progName, { kind: AttachKind.CGROUP, target });
    }
    // wasm-bpf falls back to auto-attach for every other section when given a target.
    return this.attach(progName, { kind: AttachKind.AUTO });
  }

  sectionOf(progName: string): string {
    return lib.program_section(this.program(progName)) as string;
  }

  attach(progName: string, opts: AttachOptions): void {
    this.assertLoaded();
    const prog = this.program(progName);
    const what = `program '${progName}' (SEC("${lib.program_section(prog) as string}"))`;
    const { result, log } = this.runLogged(() => {
      try {
        return { attachment: this.attachOne(prog, progName, opts), errno: 0, error: undefined as unknown };
      } catch (error) {
        return { attachment: undefined, errno: error instanceof BpfError ? error.errno : EINVAL, error };
      }
    });
    if (!result.attachment) {
      const detail = result.error instanceof BpfError ? result.error.message : `cannot attach ${what}`;
      throw new BpfError('WASMBPF_BPF_ATTACH', detail.replace(/: [A-Z0-9]+$/, ''), result.errno, log, { cause: result.error });
    }
    this.attachments.push(result.attachment);
  }

  private linkAttachment(link: Pointer, describe: string): Attachment {
    if (isNull(link)) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach ${describe}`, lastErrno() || EINVAL);
    const slot = this.ledger.add(Kind.LINK, addressOf(link));
    return {
      describe,
      detach: () => {
        lib.link_destroy(link);
        this.ledger.remove(slot);
      },
    };
  }

  private attachOne(prog: Pointer, name: string, o: AttachOptions): Attachment {
    const target = o.target ?? '';
    switch (o.kind) {
      case AttachKind.AUTO:
        return this.linkAttachment(lib.program_attach(prog), `program '${name}'`);
      case AttachKind.XDP: {
        const ifindex = this.ifindex(target);
        return this.linkAttachment(lib.program_attach_xdp(prog, ifindex), `xdp program '${name}' to interface ${target}`);
      }
      case AttachKind.TC_INGRESS:
      case AttachKind.TC_EGRESS:
        return this.attachTc(prog, name, target, o.kind === AttachKind.TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
      case AttachKind.CGROUP: {
        let fd: number;
        try {
          fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        } catch (err) {
          throw new BpfError('WASMBPF_BPF_ATTACH', `cannot open cgroup '${target}'`, (err as NodeJS.ErrnoException).errno ? -(err as NodeJS.ErrnoException).errno! : ENOENT);
        }
        try {
          return this.linkAttachment(lib.program_attach_cgroup(prog, fd), `program '${name}' to cgroup ${target}`);
        } finally {
          fs.closeSync(fd); // the link holds its own reference to the cgroup
        }
      }
      case AttachKind.UPROBE:
      case AttachKind.URETPROBE: {
        if (!target) throw new BpfError('WASMBPF_BPF_ATTACH', `uprobe program '${name}' needs a binary path`, EINVAL);
        const opts = { sz: koffi.sizeof(UprobeOpts), ref_ctr_offset: 0, bpf_cookie: 0, retprobe: o.kind === AttachKind.URETPROBE, func_name: o.func || null };
        const link = lib.program_attach_uprobe(prog, o.pid ?? -1, target, Number(o.offset ?? 0n), opts);
        return this.linkAttachment(link, `uprobe program '${name}' to ${target}:${o.func ?? ''}+${o.offset ?? 0n}`);
      }
      case AttachKind.KPROBE:
      case AttachKind.KRETPROBE:
        return this.linkAttachment(lib.program_attach_kprobe(prog, o.kind === AttachKind.KRETPROBE, target), `kprobe program '${name}' to ${target}`);
      case AttachKind.TRACEPOINT: {
        const [category, event] = target.split(':');
        if (!category || !event) throw new BpfError('WASMBPF_BPF_ATTACH', `tracepoint target '${target}' is not "category:name"`, EINVAL);
        return this.linkAttachment(lib.program_attach_tracepoint(prog, category, event), `program '${name}' to tracepoint ${target}`);
      }
      case AttachKind.SOCKET: {
        const progFd = lib.program_fd(prog) as number;
        const sock = o.fd ?? -1;
        const value = Buffer.alloc(4);
        value.writeInt32LE(progFd);
        if ((libcFns.setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, value, 4) as number) < 0) {
          throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach socket filter '${name}' to socket ${sock}`, lastErrno());
        }
        return { describe: `socket filter '${name}'`, detach: () => void libcFns.setsockopt(sock, SOL_SOCKET, SO_DETACH_BPF, value, 4) };
      }
      default:
        throw new BpfError('WASMBPF_BPF_ATTACH', `unknown attach kind ${o.kind}`, EINVAL);
    }
  }

  private ifindex(name: string): number {
    const ifindex = name ? (libcFns.if_nametoindex(name) as number) : 0;
    if (!ifindex) throw new BpfError('WASMBPF_BPF_ATTACH', `no network interface named '${name}'`, ENODEV);
    return ifindex;
  }

  private attachTc(prog: Pointer, name: string, ifname: string, point: number): Attachment {
    const ifindex = this.ifindex(ifname);
    if (tcxWanted()) {
      // A link: it goes with the process that holds it, even one killed with SIGKILL (tcx.ts).
      const fd = attachTcx(lib.program_fd(prog) as number, ifindex, point === BPF_TC_INGRESS);
      if (fd !== undefined && fd < 0) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach tc program '${name}' to ${ifname} (tcx)`, -fd);
      if (fd !== undefined) {
        const slot = this.ledger.add(Kind.FD, BigInt(fd));
        return {
          describe: `tc program '${name}' on ${ifname} (tcx link)`,
          detach: () => {
            libcFns.close(fd);
            this.ledger.remove(slot);
          },
        };
      }
    }
    const hook = { sz: koffi.sizeof(TcHook), ifindex, attach_point: point, parent: 0 };
    const created = lib.tc_hook_create(hook) as number;
    if (created < 0 && created !== -EEXIST) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot create the tc hook on ${ifname}`, -created);
    const opts = { sz: koffi.sizeof(TcOpts), prog_fd: lib.program_fd(prog) as number, flags: 0, prog_id: 0, handle: 0, priority: 0 };
    const r = lib.tc_attach(hook, opts) as number;
    if (r < 0) {
      if (created === 0) lib.tc_hook_destroy(hook);
      throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach tc program '${name}' to ${ifname}`, -r);
    }
    const filter = { ifindex: hook.ifindex, attachPoint: point, handle: opts.handle, priority: opts.priority, createdHook: created === 0 };
    const slot = this.ledger.add(Kind.TC, ...packTcFilter(filter));
    const erase = journalTcFilter(filter, opts.prog_id); // for `delete` after a SIGKILL (tc-journal.ts)
    return {
      describe: `tc program '${name}' on ${ifname}`,
      detach: () => {
        detachTcFilter(filter);
        this.ledger.remove(slot);
        erase();
      },
    };
  }

  /** The buffer of a ring buffer or perf event array map of this object, made on first use. */
  buffer(mapFd: number): EventBuffer {
    let buf = this.buffers.get(mapFd);
    if (!buf) {
      const info = this.mapsByFd.get(mapFd);
      if (!info) throw new BpfError('WASMBPF_BPF_BADF', `fd ${mapFd} is not a map of this eBPF object`, EBADF);
      const { result } = this.runLogged(() => {
        try {
          return EventBuffer.forMapType(mapFd, info.type, this.ledger);
        } catch (err) {
          return err as BpfError;
        }
      });
      if (result instanceof Error) throw result;
      buf = result;
      this.buffers.set(mapFd, buf);
    }
    return buf;
  }

  /**
   * Polls the buffer of one of this object's maps (see EventBuffer.poll). A close() that comes
   * from inside the sink (a guest closing the object in its record callback) takes effect when
   * the outermost poll returns: freeing the buffer while it is being read crashed the process
   * (found by test/system/runtime-hostile-guest.test.ts). After such a close, polls fail EBADF.
   */
  poll(mapFd: number, timeoutMs: number, sink: Parameters<EventBuffer['poll']>[1]): number {
    if (this.closeDeferred) throw new BpfError('WASMBPF_BPF_CLOSED', 'eBPF object is closed', EBADF);
    const buffer = this.buffer(mapFd);
    this.polling++;
    try {
      return buffer.poll(timeoutMs, sink);
    } finally {
      if (--this.polling === 0 && this.closeDeferred) this.close();
    }
  }

  /** Detaches every link, frees every buffer, closes the object. Idempotent; deferred during a poll (see poll()). */
  close(): void {
    if (isNull(this.obj)) return;
    if (this.polling > 0) {
      this.closeDeferred = true;
      return;
    }
    this.closeDeferred = false;
    for (const b of this.buffers.values()) b.close();
    this.buffers.clear();
    for (const a of this.attachments.splice(0).reverse()) {
      try {
        a.detach();
      } catch {
        // Detaching is best effort; closing the object below releases the programs regardless.
      }
    }
    lib.object_close(this.obj);
    this.ledger.remove(this.slot);
    this.btf?.remove();
    this.obj = null;
    this.mapsByFd = new Map();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private assertOpen(): void {
    if (isNull(this.obj)) throw new BpfError('WASMBPF_BPF_CLOSED', 'eBPF object is closed', EBADF);
  }

  private assertLoaded(): void {
    this.assertOpen();
    if (!this.loaded) throw new BpfError('WASMBPF_BPF_NOT_LOADED', 'eBPF object is not loaded yet', EINVAL);
  }
}
