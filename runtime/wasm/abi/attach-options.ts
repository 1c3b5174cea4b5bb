// wasmbpf_v1.attach's options, `struct wasmbpf_attach_opts` (docs/abi.md: 32 bytes, wasm32
// layout), read from guest memory into an attach request. The socket fd of a SOCKET request is
// the guest's number and becomes the host fd here; a number that is not a socket the module
// opened is EBADF. Flags are XDP's only: on another kind they are EINVAL, not ignored.
import { BpfError } from '../../bpf/errors.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import type { GuestFdTable } from '../services/guest-fd-table.ts';
import type { GuestMemory, GuestPtr } from '../guest-memory.ts';
import { AttachKind, isAttachKind, type AttachRequest } from './attach-kinds.ts';

const { EBADF, EINVAL } = LINUX_ERRNO;
const SIZE = 32;
// Offsets: u32 kind, i32 pid, u32 target (C string), u32 func (C string), u64 offset, i32 fd,
// u32 flags.
const KIND = 0, PID = 4, TARGET = 8, FUNC = 12, OFFSET = 16, FD = 24, FLAGS = 28;

export function decodeAttachOptions(mem: GuestMemory, ptr: GuestPtr, len: number, fds: GuestFdTable): AttachRequest {
  if (len < SIZE) throw new BpfError('WASMBPF_BAD_OPTS', `attach options are ${len} bytes, expected ${SIZE}`, EINVAL);
  const b = mem.bytes(ptr, SIZE);
  const v = new DataView(b.buffer, b.byteOffset, SIZE);
  const kind = v.getUint32(KIND, true);
  if (!isAttachKind(kind)) throw new BpfError('WASMBPF_BAD_OPTS', `unknown attach kind ${kind}`, EINVAL);
  const target = mem.optionalCString(v.getUint32(TARGET, true));
  const func = mem.optionalCString(v.getUint32(FUNC, true));
  const flags = v.getUint32(FLAGS, true);
  if (flags !== 0 && kind !== AttachKind.XDP) {
    throw new BpfError('WASMBPF_BAD_OPTS', `attach flags 0x${flags.toString(16)} given for attach kind ${kind}: only XDP (3) takes flags`, EINVAL);
  }
  let fd = v.getInt32(FD, true);
  if (kind === AttachKind.SOCKET) {
    const e = fds.get(fd);
    if (e?.kind !== 'socket') throw new BpfError('WASMBPF_BPF_BADF', `fd ${fd} is not a socket this module opened`, EBADF);
    fd = e.hostFd;
  }
  return { kind, pid: v.getInt32(PID, true), target, func, offset: v.getBigUint64(OFFSET, true), fd, flags };
}
