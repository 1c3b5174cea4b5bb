// The capabilities a container's process would have, as a ceiling on what its module may do with
// eBPF, the way the kernel decides for a native tool in the same container: without CAP_BPF (or
// CAP_SYS_ADMIN) no eBPF at all; tracing programs also need CAP_PERFMON, networking programs
// (xdp, tc, cgroup socket and skb programs, sk_*, sockops, flow_dissector, lwt) CAP_NET_ADMIN,
// and the raw packet socket a socket filter reads from CAP_NET_RAW;
// CAP_SYS_ADMIN stands in for each, as in the kernel's bpf_capable(), perfmon_capable() and
// bpf_net_capable(). The module runs on a thread of the shim (root), so nothing else would stop
// it: a container that runc would refuse bpf(2) must not get eBPF through us. Checked with the
// eBPF policy (policy.ts throws its PolicyError: EPERM to the guest), before the object is
// loaded; the message names the capability and where the set came from.

export interface TaskCapabilities {
  /** The effective set, e.g. ["CAP_BPF", "CAP_PERFMON"]. */
  granted: string[];
  /** Where it came from, for the message: e.g. "the bounding set of the OCI spec's process (uid 0)". */
  source: string;
}

const TRACING = new Set(['tracepoint', 'raw_tracepoint', 'tp_btf', 'kprobe', 'uprobe', 'usdt', 'perf_event', 'fentry', 'fexit', 'fmod_ret', 'lsm', 'iter', 'freplace']);
const NETWORKING = new Set(['xdp', 'tc', 'cgroup_skb', 'cgroup', 'sk_skb', 'sk_msg', 'sockops', 'flow_dissector', 'sk_lookup', 'sk_reuseport', 'netfilter', 'netkit']);

function has(caps: TaskCapabilities, cap: string): boolean {
  return caps.granted.includes(cap) || caps.granted.includes('CAP_SYS_ADMIN');
}

function refusal(what: string, cap: string, caps: TaskCapabilities): string {
  return `capabilities: ${what} needs ${cap} (or CAP_SYS_ADMIN), which the task does not have: ${caps.source} is ${caps.granted.length ? caps.granted.join(',') : 'empty'}`;
}

/** Why any eBPF object at all (its maps are created at load) is refused: no CAP_BPF; undefined when allowed. */
export function bpfCapabilityRefusal(caps: TaskCapabilities | undefined, what: string): string | undefined {
  return caps && !has(caps, 'CAP_BPF') ? refusal(what, 'CAP_BPF', caps) : undefined;
}

/** Why a raw packet socket (wasmbpf_v1.open_raw_socket) is refused: no CAP_NET_RAW; undefined when allowed. */
export function rawSocketCapabilityRefusal(caps: TaskCapabilities | undefined): string | undefined {
  return caps && !caps.granted.includes('CAP_NET_RAW') ? `capabilities: a raw socket needs CAP_NET_RAW, which the task does not have: ${caps.source} is ${caps.granted.length ? caps.granted.join(',') : 'empty'}` : undefined;
}

/** Why a program of this type (policy.ts programTypeOf) is refused: CAP_BPF, and CAP_PERFMON or CAP_NET_ADMIN by its kind. */
export function programCapabilityRefusal(caps: TaskCapabilities | undefined, program: string, type: string): string | undefined {
  if (!caps) return undefined;
  const what = `program '${program}' (${type})`;
  const bpf = bpfCapabilityRefusal(caps, what);
  if (bpf) return bpf;
  if (TRACING.has(type) && !has(caps, 'CAP_PERFMON')) return refusal(what, 'CAP_PERFMON', caps);
  if ((NETWORKING.has(type) || type.startsWith('lwt')) && !has(caps, 'CAP_NET_ADMIN')) return refusal(what, 'CAP_NET_ADMIN', caps);
  return undefined;
}
