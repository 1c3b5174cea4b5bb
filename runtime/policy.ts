// The eBPF policy of one module (DESIGN.md section 7): which program types it may load, which
// attach targets it may use and which map types it may create. Lists come from pod/image
// annotations, capped by the node's own policy; a request outside them fails with EPERM and a
// message naming the rule. An absent list allows everything of that kind.
import { mapTypeName } from './bpf/map-types.ts';
import { LINUX_ERRNO } from './errno.ts';
import { bpfCapabilityRefusal, programCapabilityRefusal, rawSocketCapabilityRefusal, type TaskCapabilities } from './capability-ceiling.ts';
import { WasmbpfError } from '../errors/index.ts';

export interface EbpfPolicy {
  /** Program types by libbpf section prefix: tracepoint, raw_tracepoint, tp_btf, kprobe, uprobe, usdt, perf_event, xdp, tc, socket, cgroup_skb, ... */
  programTypes?: string[];
  /** Attach targets: tracepoint:CATEGORY/NAME, raw_tracepoint:NAME, tp_btf:NAME, kprobe:FUNCTION, uprobe:BINARY:FUNCTION, cgroup:PATH, interface:NAME, socket, perf_event. `*` matches anything. */
  attachTargets?: string[];
  /** Map types: hash, array, percpu_hash, percpu_array, lru_hash, ringbuf, perf_event_array, ... (globals such as .rodata are always allowed). */
  mapTypes?: string[];
  /**
   * Where each list came from, in words, for the refusal message (e.g. `/etc/wasmbpf/shim.toml
   * [policy] allowed-program-types=tracepoint`); a kind without one came from its annotation.
   */
  rules?: Partial<Record<PolicyKind, string>>;
  /** The container's capabilities as a further ceiling (capability-ceiling.ts); absent: no such ceiling. */
  capabilities?: TaskCapabilities;
}

export type PolicyKind = 'programTypes' | 'attachTargets' | 'mapTypes';

export const POLICY_ANNOTATIONS = {
  programTypes: 'wasmbpf.io/allowed-program-types',
  attachTargets: 'wasmbpf.io/allowed-attach-targets',
  mapTypes: 'wasmbpf.io/allowed-map-types',
} as const;

/**
 * The node's ceiling when its config sets none for a kind (no /etc/wasmbpf/shim.toml, or no key in
 * its [policy] table): tools that observe. Program types that change what the node does — packets
 * (xdp, tc, cgroup_skb, sk_*, sockops, flow_dissector), security decisions (lsm), return values
 * (fmod_ret), kernel structures (struct_ops) — need the admin to allow them. Attach targets and
 * map types are not capped by default. `wasmbpf run` (an admin at a root shell) has no default cap.
 */
const DEFAULT_PROGRAM_TYPES = ['tracepoint', 'raw_tracepoint', 'tp_btf', 'fentry', 'fexit', 'kprobe', 'uprobe', 'usdt', 'perf_event', 'socket'];
export const DEFAULT_NODE_POLICY: Readonly<EbpfPolicy> = Object.freeze({
  programTypes: DEFAULT_PROGRAM_TYPES,
  rules: { programTypes: `the node's default program types ${DEFAULT_PROGRAM_TYPES.join(',')} (the node's [policy] allowed-program-types can allow others)` },
});

const CONFIG_KEYS: Record<PolicyKind, string> = { programTypes: 'allowed-program-types', attachTargets: 'allowed-attach-targets', mapTypes: 'allowed-map-types' };

/** The rule that allows `kind` in words: where it came from, with its list. */
function rule(policy: EbpfPolicy, kind: PolicyKind): string {
  return policy.rules?.[kind] ?? `${POLICY_ANNOTATIONS[kind]}=${policy[kind]?.join(',')}`;
}

const PROGRAM_TYPE_ALIASES: Record<string, string> = {
  tp: 'tracepoint', raw_tp: 'raw_tracepoint', kretprobe: 'kprobe', uretprobe: 'uprobe', ksyscall: 'kprobe', kretsyscall: 'kprobe',
  'raw_tracepoint.w': 'raw_tracepoint', 'raw_tp.w': 'raw_tracepoint', 'fentry.s': 'fentry', 'fexit.s': 'fexit', 'usdt.s': 'usdt',
  'kprobe.multi': 'kprobe', 'kretprobe.multi': 'kprobe', 'uprobe.s': 'uprobe', 'uretprobe.s': 'uprobe',
  classifier: 'tc', tcx: 'tc', 'xdp.frags': 'xdp', socket_filter: 'socket',
};

export class PolicyError extends WasmbpfError {
  readonly code = 'WASMBPF_POLICY';
  readonly errno = LINUX_ERRNO.EPERM;
}

/** The program type of a libbpf section name ("tracepoint/sched/x" -> "tracepoint"). */
export function programTypeOf(section: string): string {
  const head = section.split('/')[0]!;
  return PROGRAM_TYPE_ALIASES[head] ?? head.replace(/\.s$/, '');
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export class PolicyConfigError extends WasmbpfError {
  readonly code = 'WASMBPF_POLICY_CONFIG';
}

/**
 * The `[policy]` table of a wasmbpf config (the node's /etc/wasmbpf/shim.toml, or the file given
 * to `wasmbpf run --policy`), already parsed from TOML: lists of strings under the keys
 * allowed-program-types, allowed-attach-targets and allowed-map-types. `source` names the file
 * in errors. Unknown keys are refused, so a misspelt key cannot silently leave a kind uncapped.
 */
export function policyFromConfig(doc: Record<string, unknown>, source: string): EbpfPolicy {
  const section = doc.policy ?? {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) throw new PolicyConfigError(`${source}: [policy] must be a table`);
  const keys: Record<string, PolicyKind> = {
    'allowed-program-types': 'programTypes', 'allowed-attach-targets': 'attachTargets', 'allowed-map-types': 'mapTypes',
  };
  const policy: EbpfPolicy = {};
  const rules: Partial<Record<PolicyKind, string>> = {};
  for (const [key, value] of Object.entries(section)) {
    const field = keys[key];
    if (!field) throw new PolicyConfigError(`${source}: unknown key policy.${key} (known: ${Object.keys(keys).join(', ')})`);
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new PolicyConfigError(`${source}: policy.${key} must be a list of strings`);
    policy[field] = value as string[];
    rules[field] = `${source} [policy] ${CONFIG_KEYS[field]}=${(value as string[]).join(',')}`;
  }
  if (Object.keys(rules).length > 0) policy.rules = rules;
  return policy;
}

export function policyFromAnnotations(annotations: Record<string, string | undefined>): EbpfPolicy {
  const p: EbpfPolicy = {};
  const programTypes = list(annotations[POLICY_ANNOTATIONS.programTypes]);
  const attachTargets = list(annotations[POLICY_ANNOTATIONS.attachTargets]);
  const mapTypes = list(annotations[POLICY_ANNOTATIONS.mapTypes]);
  if (programTypes) p.programTypes = programTypes;
  if (attachTargets) p.attachTargets = attachTargets;
  if (mapTypes) p.mapTypes = mapTypes;
  return p;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function matches(patterns: string[], value: string): boolean {
  return patterns.some((p) => globToRegExp(p).test(value));
}

/**
 * The module's policy capped by the node's: a module may only narrow what the node allows.
 * Entries of the module's list that the node does not allow are dropped.
 */
export function capPolicy(requested: EbpfPolicy, node: EbpfPolicy): EbpfPolicy {
  const cap = (req: string[] | undefined, allowed: string[] | undefined): string[] | undefined => {
    if (!allowed) return req;
    if (!req) return allowed;
    return req.filter((r) => matches(allowed, r));
  };
  const out: EbpfPolicy = {};
  const programTypes = cap(requested.programTypes, node.programTypes);
  const attachTargets = cap(requested.attachTargets, node.attachTargets);
  const mapTypes = cap(requested.mapTypes, node.mapTypes);
  if (programTypes) out.programTypes = programTypes;
  if (attachTargets) out.attachTargets = attachTargets;
  if (mapTypes) out.mapTypes = mapTypes;
  // A refusal names the rule that made it: the node's list when only the node has one, both
  // when the node capped the request (the annotation alone would blame the wrong party).
  const rules: Partial<Record<PolicyKind, string>> = {};
  for (const kind of Object.keys(CONFIG_KEYS) as PolicyKind[]) {
    if (!out[kind] || (!requested.rules?.[kind] && !node.rules?.[kind])) continue;
    if (!node[kind]) rules[kind] = rule(requested, kind);
    else if (!requested[kind]) rules[kind] = rule(node, kind);
    else rules[kind] = `${rule(requested, kind)} as capped by ${rule(node, kind)}`;
  }
  if (Object.keys(rules).length > 0) out.rules = rules;
  return out;
}

export function checkProgramType(policy: EbpfPolicy, program: string, section: string): void {
  const type = programTypeOf(section);
  const uncapable = programCapabilityRefusal(policy.capabilities, program, type);
  if (uncapable) throw new PolicyError(uncapable);
  if (!policy.programTypes) return;
  if (!matches(policy.programTypes, type)) {
    throw new PolicyError(`policy: program '${program}' is of type '${type}' (SEC("${section}")), not in ${rule(policy, 'programTypes')}`);
  }
}

export function checkMapType(policy: EbpfPolicy, map: string, type: number): void {
  const uncapable = bpfCapabilityRefusal(policy.capabilities, `map '${map}'`);
  if (uncapable) throw new PolicyError(uncapable);
  if (!policy.mapTypes || map.includes('.')) return; // globals (.rodata, .bss, ...) are the program's own variables
  const name = mapTypeName(type) ?? `map_type_${type}`;
  if (!matches(policy.mapTypes, name)) {
    throw new PolicyError(`policy: map '${map}' is a ${name}, not in ${rule(policy, 'mapTypes')}`);
  }
}

export function checkAttachTarget(policy: EbpfPolicy, program: string, target: string): void {
  if (!policy.attachTargets) return;
  if (!matches(policy.attachTargets, target)) {
    throw new PolicyError(`policy: program '${program}' may not attach to '${target}', not in ${rule(policy, 'attachTargets')}`);
  }
}

/** A raw packet socket (for a socket filter): only the capability ceiling has a say. */
export function checkRawSocket(policy: EbpfPolicy): void {
  const uncapable = rawSocketCapabilityRefusal(policy.capabilities);
  if (uncapable) throw new PolicyError(uncapable);
}
