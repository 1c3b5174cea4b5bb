// One eBPF object of one module: open, load, attach, its maps, and a close() that detaches every
// link, frees every buffer and closes the object. libbpf calls that may print run through the
// log runner so their messages reach the module's stderr and our errors carry them.
import { LINUX_ERRNO } from '../errno.ts';
import type { Attachment, AttachStrategy } from './attach-strategies.ts';
import { BpfError } from './errors.ts';
import { isNull, koffi, lastErrno, lib, libExtra, ObjectOpenOpts, type Pointer } from './libbpf.ts';
import { btfFallback, btfHint, KERNEL_BTF, type BtfFallback } from './kernel-btf.ts';
import { EventBuffer } from './event-buffer.ts';
import type { MapInfo } from './map-types.ts';
import { addressOf, Kind, type ResourceLedger } from './resource-ledger.ts';

export type LogRunner = <T>(fn: () => T) => { result: T; log: string };

const { EALREADY, EBADF, EINVAL, ENOENT } = LINUX_ERRNO;

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

  sectionOf(progName: string): string {
    return lib.program_section(this.program(progName)) as string;
  }

  /** Attaches a program of this loaded object the way `strategy` does; detached by close(). */
  attach(progName: string, strategy: AttachStrategy): void {
    this.assertLoaded();
    const prog = this.program(progName);
    const what = `program '${progName}' (SEC("${lib.program_section(prog) as string}"))`;
    const { result, log } = this.runLogged(() => {
      try {
        return { attachment: strategy(prog, progName, this.ledger), errno: 0, error: undefined as unknown };
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
