// tc programs attached as tcx links (Linux 6.6+): a bpf_link whose fd the attaching process
// holds, so the kernel detaches the program when that process dies, even by SIGKILL. A filter
// attached through netlink (bpf_tc_attach, the older way) is owned by nobody: it outlives a
// killed shim or `wasmbpf run` (docs/shim.md, "When the server dies"). libbpf 1.1 (Debian 12)
// has no bpf_program__attach_tcx, but its bpf_link_create passes any attach type through, with
// the ifindex as the target.
import { LINUX_ERRNO } from '../errno.ts';
import { lib } from './libbpf.ts';

const BPF_TCX_INGRESS = 46;
const BPF_TCX_EGRESS = 47;

/** WASMBPF_TC_ATTACH=netlink keeps the older way (for tests of it, or a kernel whose tcx misbehaves). */
export function tcxWanted(): boolean {
  return process.env.WASMBPF_TC_ATTACH !== 'netlink';
}

/**
 * The tcx link's fd, or undefined when the kernel has no tcx (BPF_LINK_CREATE answers EINVAL for
 * an attach type it does not know). Any other failure is returned as a negative errno.
 */
export function attachTcx(progFd: number, ifindex: number, ingress: boolean): number | undefined {
  const fd = lib.link_create(progFd, ifindex, ingress ? BPF_TCX_INGRESS : BPF_TCX_EGRESS, null) as number;
  if (fd === -LINUX_ERRNO.EINVAL) return undefined;
  return fd;
}
