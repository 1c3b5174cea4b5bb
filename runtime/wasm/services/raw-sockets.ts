// AF_PACKET raw sockets a module opens for its socket filters, bound to one interface (or all),
// recorded in the resource ledger and closed with the module. The guest gets its own fd number
// for each (guest-fd-table.ts), never the host's.
import { BpfError } from '../../bpf/errors.ts';
import { lastErrno, libcFns } from '../../bpf/libbpf.ts';
import { Kind, type ResourceLedger } from '../../bpf/resource-ledger.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import type { GuestFdTable } from './guest-fd-table.ts';

const { EINVAL, ENODEV, EPERM } = LINUX_ERRNO;
const AF_PACKET = 17, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, ETH_P_ALL_BE = 0x0300;
const SOCKADDR_LL_SIZE = 20;

export class RawSockets {
  private readonly open = new Map<number, number>(); // host fd -> ledger slot

  constructor(private readonly fds: GuestFdTable, private readonly ledger: ResourceLedger) {}

  /** A raw socket bound to interface `ifname` ("" = every interface); the guest's fd for it. */
  openRaw(ifname: string): number {
    let ifindex = 0;
    if (ifname) {
      ifindex = libcFns.if_nametoindex(ifname) as number;
      if (!ifindex) throw new BpfError('WASMBPF_SOCKET', `no network interface named '${ifname}'`, ENODEV);
    }
    const fd = libcFns.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, ETH_P_ALL_BE) as number;
    if (fd < 0) throw new BpfError('WASMBPF_SOCKET', 'cannot open a raw socket', lastErrno() || EPERM);
    // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }
    const addr = Buffer.alloc(SOCKADDR_LL_SIZE);
    addr.writeUInt16LE(AF_PACKET, 0);
    addr.writeUInt16LE(ETH_P_ALL_BE, 2);
    addr.writeInt32LE(ifindex, 4);
    if ((libcFns.bind(fd, addr, SOCKADDR_LL_SIZE) as number) < 0) {
      const errno = lastErrno();
      libcFns.close(fd);
      throw new BpfError('WASMBPF_SOCKET', `cannot bind a raw socket to '${ifname}'`, errno || EINVAL);
    }
    this.open.set(fd, this.ledger.add(Kind.FD, BigInt(fd)));
    return this.fds.add({ kind: 'socket', hostFd: fd });
  }

  /** Closes every socket the module opened. Idempotent. */
  closeAll(): void {
    for (const { guestFd } of this.fds.sockets()) this.fds.remove(guestFd);
    for (const [fd, slot] of this.open) {
      libcFns.close(fd);
      this.ledger.remove(slot);
    }
    this.open.clear();
  }
}
