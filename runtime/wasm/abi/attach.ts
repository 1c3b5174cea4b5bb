// Attaching a program as a guest's request says: each attach kind (attach-kinds.ts) with the
// bpf/ strategy that does it, after the module's policy has allowed the target.
import {
  autoAttach, cgroupAttach, kprobeAttach, socketFilterAttach, tcAttach, tracepointAttach, uprobeAttach, xdpAttach,
  type AttachStrategy,
} from '../../bpf/attach-strategies.ts';
import type { BpfObject } from '../../bpf/bpf-object.ts';
import { checkAttachTarget, type EbpfPolicy } from '../../policy.ts';
import { AttachKind, attachTarget, type AttachRequest } from './attach-kinds.ts';

const uprobe = (retprobe: boolean) => (r: AttachRequest) =>
  uprobeAttach({ pid: r.pid ?? -1, binary: r.target ?? '', func: r.func, offset: r.offset ?? 0n, retprobe });

const STRATEGIES: Record<AttachKind, (r: AttachRequest) => AttachStrategy> = {
  [AttachKind.AUTO]: () => autoAttach,
  [AttachKind.UPROBE]: uprobe(false),
  [AttachKind.URETPROBE]: uprobe(true),
  [AttachKind.XDP]: (r) => xdpAttach(r.target ?? '', r.flags ?? 0),
  [AttachKind.TC_INGRESS]: (r) => tcAttach(r.target ?? '', true),
  [AttachKind.TC_EGRESS]: (r) => tcAttach(r.target ?? '', false),
  [AttachKind.CGROUP]: (r) => cgroupAttach(r.target ?? ''),
  [AttachKind.KPROBE]: (r) => kprobeAttach(r.target ?? '', r.offset ?? 0n, false),
  [AttachKind.KRETPROBE]: (r) => kprobeAttach(r.target ?? '', r.offset ?? 0n, true),
  [AttachKind.SOCKET]: (r) => socketFilterAttach(r.fd ?? -1),
  [AttachKind.TRACEPOINT]: (r) => tracepointAttach(r.target ?? ''),
};

/** Attaches `prog` of `object` as `request` says, once the module's policy allows its target; `section` is the program's. */
export function attachChecked(policy: EbpfPolicy, object: BpfObject, prog: string, request: AttachRequest, section: () => string): void {
  checkAttachTarget(policy, prog, attachTarget(request, section));
  object.attach(prog, STRATEGIES[request.kind](request));
}
