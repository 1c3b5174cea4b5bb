// What a guest's attach request means, in one place: the ABI's attach kinds (the numbering of
// wasmbpf_v1.attach's options, docs/abi.md), the attach target each reaches in policy notation
// (policy.ts), and wasm-bpf's rules for wasm_attach_bpf_program, which choose a kind from the
// program's ELF section name. How each kind is attached is attach.ts (it loads libbpf; this
// file does not, so the policy's unit tests can use it).
import { programTypeOf } from '../../policy.ts';

export const AttachKind = {
  AUTO: 0, UPROBE: 1, URETPROBE: 2, XDP: 3, TC_INGRESS: 4, TC_EGRESS: 5, CGROUP: 6,
  KPROBE: 7, KRETPROBE: 8, SOCKET: 9, TRACEPOINT: 10,
} as const;
export type AttachKind = (typeof AttachKind)[keyof typeof AttachKind];

/** A decoded attach request (abi/attach-options.ts, or wasm-bpf's section rules). */
export interface AttachRequest {
  kind: AttachKind;
  /** uprobes: process id, -1 for any. */
  pid?: number;
  /** binary path, interface, cgroup path, kernel function or "category:name", by kind. */
  target?: string;
  /** uprobe function name. */
  func?: string;
  /** uprobes, kprobes: bytes into the function (or the binary, for a uprobe without func). */
  offset?: bigint;
  /** SOCKET: the host fd of a socket the module opened. */
  fd?: number;
  /** XDP: XDP_FLAGS_* (bpf/attach-strategies.ts says which). */
  flags?: number;
}

const interfaceTarget = (r: AttachRequest) => `interface:${r.target ?? ''}`;
const uprobeTarget = (r: AttachRequest) => `uprobe:${r.target ?? ''}:${r.func ?? `+${r.offset ?? 0n}`}`;
const kprobeTarget = (r: AttachRequest) => `kprobe:${r.target ?? ''}`;

/** Each kind's target in policy notation; `section` (the program's) is read only by kinds that need it. */
const POLICY_TARGETS: Record<AttachKind, (r: AttachRequest, section: () => string) => string> = {
  [AttachKind.AUTO]: (_, section) => autoAttachTarget(section()),
  [AttachKind.UPROBE]: uprobeTarget,
  [AttachKind.URETPROBE]: uprobeTarget,
  [AttachKind.XDP]: interfaceTarget,
  [AttachKind.TC_INGRESS]: interfaceTarget,
  [AttachKind.TC_EGRESS]: interfaceTarget,
  [AttachKind.CGROUP]: (r) => `cgroup:${r.target ?? ''}`,
  [AttachKind.KPROBE]: kprobeTarget,
  [AttachKind.KRETPROBE]: kprobeTarget,
  [AttachKind.SOCKET]: () => 'socket',
  [AttachKind.TRACEPOINT]: (r) => `tracepoint:${(r.target ?? '').replace(':', '/')}`,
};

export function isAttachKind(kind: number): kind is AttachKind {
  return Object.hasOwn(POLICY_TARGETS, kind);
}

/** The target `request` reaches, in policy notation. */
export function attachTarget(request: AttachRequest, section: () => string): string {
  return POLICY_TARGETS[request.kind](request, section);
}

/** The attach target an auto-attach of this section reaches, in policy notation. */
export function autoAttachTarget(section: string): string {
  const type = programTypeOf(section);
  const rest = section.includes('/') ? section.slice(section.indexOf('/') + 1) : '';
  return rest ? `${type}:${rest}` : type;
}

/**
 * wasm-bpf's wasm_attach_bpf_program: no target is an auto-attach from SEC(); a target is the
 * interface of an xdp or tc program, the cgroup path of a cgroup or sockops program, and ignored
 * (auto-attach) for every other section.
 */
export function compatAttachRequest(section: string, target: string | undefined): AttachRequest {
  if (!target) return { kind: AttachKind.AUTO };
  if (section.startsWith('xdp')) return { kind: AttachKind.XDP, target };
  if (section.startsWith('tc') || section.startsWith('classifier')) {
    return { kind: section.includes('egress') ? AttachKind.TC_EGRESS : AttachKind.TC_INGRESS, target };
  }
  if (section.startsWith('cgroup') || section.startsWith('sockops')) return { kind: AttachKind.CGROUP, target };
  return { kind: AttachKind.AUTO };
}
