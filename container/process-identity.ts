// What the OCI spec's process identity means for a Wasm task. The module runs on a thread of the
// shim (root on the node), not as a process of its own, so the spec's user and capabilities
// cannot be given to it the way runc gives them to a process; what they can do is cap it:
//  - capabilities: the set the container's process would hold after execve, as a ceiling on its
//    eBPF (runtime/capability-ceiling.ts): for uid 0 the bounding set (root's execve raises its
//    permitted and effective sets to it), for another uid the ambient set (a non-root execve
//    keeps only that). containerd's default set has no CAP_BPF: `ctr run --privileged`,
//    `--cap-add CAP_BPF --cap-add CAP_PERFMON`, or a pod's securityContext grant it.
//  - user: which of those sets counts; nothing else, since the task opens no file on its own
//    (no WASI preopens) and its stdio FIFOs are opened by the shim.
// How far the node applies the ceiling, in its file (docs/SECURITY.md):
//   [process]
//   capabilities = "non-root"    # default: for tasks whose spec's uid is not 0 (under runc such a
//                                #   process holds only its ambient set, and no eBPF without it);
//                                #   root tasks keep eBPF, as long as the examples, manifests and
//                                #   benchmarks do not ask for CAP_BPF/CAP_PERFMON
//   capabilities = "ceiling"     # for every task: what runc would refuse, the shim refuses
//   capabilities = "ignore"      # for none
import type { RuntimeSpec } from '../oci-spec/runtime-spec.ts';
import type { EbpfPolicy, TaskCapabilities } from '../runtime/index.ts';
import { invalidArgument } from './errors.ts';
import { readNodeConfig } from './node-config.ts';

export type CapabilityMode = 'ceiling' | 'non-root' | 'ignore';
const MODES: readonly CapabilityMode[] = ['ceiling', 'non-root', 'ignore'];
export const DEFAULT_CAPABILITY_MODE: CapabilityMode = 'non-root';

export function readCapabilityMode(file: string | undefined): CapabilityMode {
  if (!file) return DEFAULT_CAPABILITY_MODE;
  const section = readNodeConfig(file).process;
  if (section === undefined) return DEFAULT_CAPABILITY_MODE;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) throw invalidArgument(`${file}: [process] must be a table`);
  const unknown = Object.keys(section).find((key) => key !== 'capabilities');
  if (unknown) throw invalidArgument(`${file}: unknown key process.${unknown} (known: capabilities)`);
  const value = (section as Record<string, unknown>).capabilities ?? DEFAULT_CAPABILITY_MODE;
  if (!MODES.includes(value as CapabilityMode)) throw invalidArgument(`${file}: process.capabilities must be "non-root", "ceiling" or "ignore", not ${JSON.stringify(value)}`);
  return value as CapabilityMode;
}

/** The capabilities the spec's process would hold after execve; undefined when the spec sets none (runc then leaves them alone). */
export function taskCapabilities(process: RuntimeSpec['process']): TaskCapabilities | undefined {
  const caps = process?.capabilities;
  if (!caps) return undefined;
  const uid = process?.user?.uid ?? 0;
  if (uid === 0) {
    return caps.bounding
      ? { granted: [...caps.bounding], source: 'the bounding set of the OCI spec\'s process (uid 0)' }
      : { granted: [...(caps.effective ?? [])], source: 'the effective set of the OCI spec\'s process (uid 0, no bounding set)' };
  }
  return { granted: [...(caps.ambient ?? [])], source: `the ambient set of the OCI spec's process (uid ${uid}: a non-root process keeps only those across execve)` };
}

/** The task's policy with the spec's capabilities as a further ceiling, when the node asks for it. */
export function withSpecCapabilities(policy: EbpfPolicy, process: RuntimeSpec['process'], nodeConfig: string | undefined): EbpfPolicy {
  const mode = readCapabilityMode(nodeConfig);
  if (mode === 'ignore' || (mode === 'non-root' && (process?.user?.uid ?? 0) === 0)) return policy;
  const capabilities = taskCapabilities(process);
  return capabilities ? { ...policy, capabilities } : policy;
}
