// The fd numbers a guest sees. A guest never holds a host fd: map_fd_by_name and open_raw_socket
// hand out numbers from the module's own table, and every import that takes an fd translates it
// back here. A number the table does not hold is EBADF, so one module cannot name another
// module's maps or sockets (or any other fd of the shim) by guessing numbers. Numbers start at 3
// and the lowest free one is reused, as a process's fd table does.
import type { BpfObject } from '../../bpf/bpf-object.ts';
import type { MapInfo } from '../../bpf/map-types.ts';

export type GuestFdEntry =
  | { kind: 'map'; hostFd: number; object: BpfObject; info: MapInfo }
  | { kind: 'socket'; hostFd: number };

const FIRST_GUEST_FD = 3;

export class GuestFdTable {
  private readonly entries: (GuestFdEntry | undefined)[] = [];
  private readonly byHostFd = new Map<number, number>();

  /** The guest number for a host fd, allocating one the first time (so repeated lookups agree). */
  add(entry: GuestFdEntry): number {
    const known = this.byHostFd.get(entry.hostFd);
    if (known !== undefined) return known;
    let fd = FIRST_GUEST_FD;
    while (this.entries[fd] !== undefined) fd++;
    this.entries[fd] = entry;
    this.byHostFd.set(entry.hostFd, fd);
    return fd;
  }

  get(guestFd: number): GuestFdEntry | undefined {
    return this.entries[guestFd];
  }

  remove(guestFd: number): void {
    const e = this.entries[guestFd];
    if (!e) return;
    this.entries[guestFd] = undefined;
    this.byHostFd.delete(e.hostFd);
  }

  /** Drops every map entry of an object being closed (its host fds are about to be reused). */
  removeObject(object: BpfObject): void {
    for (let fd = FIRST_GUEST_FD; fd < this.entries.length; fd++) {
      const e = this.entries[fd];
      if (e?.kind === 'map' && e.object === object) this.remove(fd);
    }
  }

  sockets(): { guestFd: number; hostFd: number }[] {
    const out: { guestFd: number; hostFd: number }[] = [];
    this.entries.forEach((e, guestFd) => {
      if (e?.kind === 'socket') out.push({ guestFd, hostFd: e.hostFd });
    });
    return out;
  }
}
