// The ways libbpf (or the kernel directly) attaches a loaded program, one strategy each: auto from
// SEC(), xdp (a link made directly when a mode is asked for), tc (a tcx link where the kernel has
// one, else a netlink filter), cgroup, uprobe, kprobe, tracepoint and socket filter. A strategy
// makes one attachment and records what it holds in the ledger; BpfObject.attach runs it and keeps
// the attachment for close(). Which strategy a guest's request means is the ABI's business
// (wasm/abi/attach-kinds.ts).
import fs from 'node:fs';
import { LINUX_ERRNO } from '../errno.ts';
import { BpfError } from './errors.ts';
import { isNull, koffi, KprobeOpts, lastErrno, lib, libcFns, LinkCreateOpts, TcHook, TcOpts, UprobeOpts, type Pointer } from './libbpf.ts';
import { addressOf, Kind, type ResourceLedger } from './resource-ledger.ts';
import { BPF_TC_EGRESS, BPF_TC_INGRESS, detachTcFilter, packTcFilter } from './tc-filter.ts';
import { journalTcFilter } from './tc-journal.ts';
import { attachTcx, tcxWanted } from './tcx.ts';

const { EEXIST, EINVAL, ENODEV, ENOENT } = LINUX_ERRNO;
const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const BPF_XDP = 37; // enum bpf_attach_type

/** XDP_FLAGS_* (linux/if_link.h). */
const XDP_FLAGS = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8 } as const;
const XDP_MODE_NAMES: Record<number, string> = { [XDP_FLAGS.SKB_MODE]: 'generic (skb)', [XDP_FLAGS.DRV_MODE]: 'native (driver)', [XDP_FLAGS.HW_MODE]: 'offload (hw)' };

export interface Attachment {
  describe: string;
  detach(): void;
}

/** Attaches the program `prog` (named `name`), recording what it holds in `ledger`; throws BpfError. */
export type AttachStrategy = (prog: Pointer, name: string, ledger: ResourceLedger) => Attachment;

export interface UprobeTarget {
  /** Process id, -1 for any. */
  pid: number;
  binary: string;
  func?: string;
  offset: bigint;
  retprobe: boolean;
}

function linkAttachment(link: Pointer, describe: string, ledger: ResourceLedger): Attachment {
  if (isNull(link)) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach ${describe}`, lastErrno() || EINVAL);
  const slot = ledger.add(Kind.LINK, addressOf(link));
  return {
    describe,
    detach: () => {
      lib.link_destroy(link);
      ledger.remove(slot);
    },
  };
}

/** A link held as an fd of ours (tcx, or xdp with a mode): closing the fd detaches the program. */
function fdLinkAttachment(fd: number, describe: string, ledger: ResourceLedger): Attachment {
  const slot = ledger.add(Kind.FD, BigInt(fd));
  return {
    describe,
    detach: () => {
      libcFns.close(fd);
      ledger.remove(slot);
    },
  };
}

function ifindexOf(name: string): number {
  const ifindex = name ? (libcFns.if_nametoindex(name) as number) : 0;
  if (!ifindex) throw new BpfError('WASMBPF_BPF_ATTACH', `no network interface named '${name}'`, ENODEV);
  return ifindex;
}

/** As SEC() says (libbpf's bpf_program__attach); EOPNOTSUPP for sections it cannot auto-attach. */
export const autoAttach: AttachStrategy = (prog, name, ledger) => linkAttachment(lib.program_attach(prog), `program '${name}'`, ledger);

/**
 * The XDP mode flag that `flags` asks for, 0 for none (the kernel chooses: native where the driver
 * has it, else generic). UPDATE_IF_NOEXIST is accepted and dropped: an XDP link never replaces a
 * program already attached (the kernel refuses the flag on a link). Anything else is EINVAL.
 */
function xdpMode(flags: number, describe: string): number {
  const mode = flags & ~XDP_FLAGS.UPDATE_IF_NOEXIST;
  if (mode !== 0 && !Object.hasOwn(XDP_MODE_NAMES, mode)) {
    throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach ${describe}: XDP flags 0x${flags.toString(16)} are not one of XDP_FLAGS_SKB_MODE (0x2), XDP_FLAGS_DRV_MODE (0x4), XDP_FLAGS_HW_MODE (0x8), optionally with XDP_FLAGS_UPDATE_IF_NOEXIST (0x1)`, EINVAL);
  }
  return mode;
}

/**
 * `flags` as XDP_FLAGS_* (xdpMode). Without a mode, libbpf's attach_xdp; with one, the link is
 * made directly with the mode in its flags (libbpf 1.1's attach_xdp takes none), its fd held.
 */
export function xdpAttach(ifname: string, flags: number): AttachStrategy {
  return (prog, name, ledger) => {
    const describe = `xdp program '${name}' to interface ${ifname}`;
    const mode = xdpMode(flags, describe);
    const ifindex = ifindexOf(ifname);
    if (mode === 0) return linkAttachment(lib.program_attach_xdp(prog, ifindex), describe, ledger);
    const opts = { sz: koffi.sizeof(LinkCreateOpts), flags: mode };
    const fd = lib.link_create(lib.program_fd(prog) as number, ifindex, BPF_XDP, opts) as number;
    if (fd < 0) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach ${describe} in ${XDP_MODE_NAMES[mode]} mode`, -fd);
    return fdLinkAttachment(fd, `${describe} (${XDP_MODE_NAMES[mode]} mode)`, ledger);
  };
}

export function cgroupAttach(path: string): AttachStrategy {
  return (prog, name, ledger) => {
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (err) {
      throw new BpfError('WASMBPF_BPF_ATTACH', `cannot open cgroup '${path}'`, (err as NodeJS.ErrnoException).errno ? -(err as NodeJS.ErrnoException).errno! : ENOENT);
    }
    try {
      return linkAttachment(lib.program_attach_cgroup(prog, fd), `program '${name}' to cgroup ${path}`, ledger);
    } finally {
      fs.closeSync(fd); // the link holds its own reference to the cgroup
    }
  };
}

export function uprobeAttach(u: UprobeTarget): AttachStrategy {
  return (prog, name, ledger) => {
    if (!u.binary) throw new BpfError('WASMBPF_BPF_ATTACH', `uprobe program '${name}' needs a binary path`, EINVAL);
    const opts = { sz: koffi.sizeof(UprobeOpts), ref_ctr_offset: 0, bpf_cookie: 0, retprobe: u.retprobe, func_name: u.func || null };
    const link = lib.program_attach_uprobe(prog, u.pid, u.binary, Number(u.offset), opts);
    return linkAttachment(link, `uprobe program '${name}' to ${u.binary}:${u.func ?? ''}+${u.offset}`, ledger);
  };
}

/** At `offset` bytes into `func` (0: its entry, libbpf's plain attach_kprobe). */
export function kprobeAttach(func: string, offset: bigint, retprobe: boolean): AttachStrategy {
  return (prog, name, ledger) => {
    if (offset === 0n) return linkAttachment(lib.program_attach_kprobe(prog, retprobe, func), `kprobe program '${name}' to ${func}`, ledger);
    const opts = { sz: koffi.sizeof(KprobeOpts), bpf_cookie: 0, offset, retprobe };
    return linkAttachment(lib.program_attach_kprobe_opts(prog, func, opts), `kprobe program '${name}' to ${func}+0x${offset.toString(16)}`, ledger);
  };
}

/** `target` is "category:name". */
export function tracepointAttach(target: string): AttachStrategy {
  return (prog, name, ledger) => {
    const [category, event] = target.split(':');
    if (!category || !event) throw new BpfError('WASMBPF_BPF_ATTACH', `tracepoint target '${target}' is not "category:name"`, EINVAL);
    return linkAttachment(lib.program_attach_tracepoint(prog, category, event), `program '${name}' to tracepoint ${target}`, ledger);
  };
}

/** SO_ATTACH_BPF on a socket the host holds (`sock` is a host fd). */
export function socketFilterAttach(sock: number): AttachStrategy {
  return (prog, name) => {
    const value = Buffer.alloc(4);
    value.writeInt32LE(lib.program_fd(prog) as number);
    if ((libcFns.setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, value, 4) as number) < 0) {
      throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach socket filter '${name}' to socket ${sock}`, lastErrno());
    }
    return { describe: `socket filter '${name}'`, detach: () => void libcFns.setsockopt(sock, SOL_SOCKET, SO_DETACH_BPF, value, 4) };
  };
}

export function tcAttach(ifname: string, ingress: boolean): AttachStrategy {
  return (prog, name, ledger) => {
    const ifindex = ifindexOf(ifname);
    if (tcxWanted()) {
      // A link: it goes with the process that holds it, even one killed with SIGKILL (tcx.ts).
      const fd = attachTcx(lib.program_fd(prog) as number, ifindex, ingress);
      if (fd !== undefined && fd < 0) throw new BpfError('WASMBPF_BPF_ATTACH', `cannot attach tc program '${name}' to ${ifname} (tcx)`, -fd);
      if (fd !== undefined) return fdLinkAttachment(fd, `tc program '${name}' on ${ifname} (tcx link)`, ledger);
    }
    const point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
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
    const slot = ledger.add(Kind.TC, ...packTcFilter(filter));
    const erase = journalTcFilter(filter, opts.prog_id); // for `delete` after a SIGKILL (tc-journal.ts)
    return {
      describe: `tc program '${name}' on ${ifname}`,
      detach: () => {
        detachTcFilter(filter);
        ledger.remove(slot);
        erase();
      },
    };
  };
}
