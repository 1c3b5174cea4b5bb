// The eBPF policy a Wasm task runs under (DESIGN.md section 7): what the container asks for,
// capped by what the node allows.
//  - Requested: the container's annotations (`ctr run --annotation`, or pod annotations the CRI
//    plugin passes through), else the image manifest's annotations (the tool author's
//    declaration); keys are runtime/policy.ts POLICY_ANNOTATIONS.
//  - Node: a TOML file named by the runtime options containerd sends with Create (CRI:
//    `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmbpf.options] ConfigPath =
//    "/etc/wasmbpf/shim.toml"`), else /etc/wasmbpf/shim.toml when it exists; a kind the file does
//    not list (or every kind, without a file) is capped by runtime/policy.ts DEFAULT_NODE_POLICY
//    (observability program types only; `allowed-program-types = ["*"]` lifts it):
//      [policy]
//      allowed-program-types = ["tracepoint", "kprobe"]
//      allowed-attach-targets = ["tracepoint:sched/*"]
//      allowed-map-types = ["ringbuf", "hash", "array"]
//      [limits]
//      memory-limit = "256Mi"      # each module's linear memory: the default and the ceiling
// The memory limit a task asks for (annotation wasmbpf.io/memory-limit, container's else image's)
// can only narrow the node's; without [limits] the runtime's default (256 MiB) is the ceiling.
// A node file that exists but cannot be read or parsed fails the Create: running a tool with no
// cap because of a typo in the cap would be the wrong way to fail.
import {
  capPolicy, DEFAULT_MEMORY_LIMIT, DEFAULT_NODE_POLICY, formatSize, MEMORY_LIMIT_ANNOTATION, narrowest, parseSize, policyFromAnnotations,
  policyFromConfig, PolicyConfigError, POLICY_ANNOTATIONS, WASM_PAGE, WORKER_HEAP_LIMIT_BYTES, type EbpfPolicy,
} from '../runtime/index.ts';
import type { RuntimeSpec } from '../oci-spec/runtime-spec.ts';
import { invalidArgument } from './errors.ts';
import { readNodeConfig as readDoc } from './node-config.ts';
import { withSpecCapabilities } from './process-identity.ts';

/** What a Wasm task may do (its eBPF policy) and use (its Wasm memory). */
export interface TaskLimits {
  policy: EbpfPolicy;
  /** Bytes of linear memory. */
  memoryLimit: number;
}

/**
 * The limits of a container's task: its spec's and its image's requests, capped by the node's
 * file (none: the defaults), by the spec's capabilities as far as the node's [process] table
 * says, and by the container's own memory limit (bytes, linux.resources.memory.limit).
 */
export function taskLimits(spec: RuntimeSpec, imageAnnotations: Record<string, string> | undefined, nodeConfig: string | undefined, containerMemoryLimit?: number): TaskLimits {
  const policy = withSpecCapabilities(taskPolicy(spec.annotations, imageAnnotations, readNodePolicy(nodeConfig)), spec.process, nodeConfig);
  const memoryLimit = taskMemoryLimit(spec.annotations, imageAnnotations, readNodeLimits(nodeConfig), containerMemoryLimit);
  return { policy, memoryLimit };
}

export interface NodeLimits {
  /** Bytes: each module's linear memory cap, and the most an annotation may ask for. */
  memoryLimit: number;
}

export function readNodeLimits(file: string | undefined): NodeLimits {
  if (!file) return { memoryLimit: DEFAULT_MEMORY_LIMIT };
  const section = (readDoc(file).limits ?? {}) as Record<string, unknown>;
  const value = section['memory-limit'];
  if (value === undefined) return { memoryLimit: DEFAULT_MEMORY_LIMIT };
  if (typeof value !== 'string' && typeof value !== 'number') throw invalidArgument(`${file}: limits.memory-limit must be a size such as "256Mi"`);
  try {
    return { memoryLimit: parseSize(String(value), `${file}: limits.memory-limit`) };
  } catch (error) {
    throw invalidArgument((error as Error).message, error);
  }
}

/**
 * The cap on a task's Wasm memory: the container's wasmbpf.io/memory-limit if set, else the
 * image's, never above the node's; and when the container has a memory limit of its own
 * (linux.resources.memory.limit: `ctr run --memory-limit`, a pod's resources.limits.memory), its
 * worker's V8 heap is paid from it first and the rest is the most its Wasm memory may take. A
 * limit too small for the heap and one page of Wasm memory refuses the task.
 */
export function taskMemoryLimit(specAnnotations: Record<string, string> | undefined, imageAnnotations: Record<string, string> | undefined, node: NodeLimits, containerLimit?: number): number {
  const requested = specAnnotations?.[MEMORY_LIMIT_ANNOTATION] ?? imageAnnotations?.[MEMORY_LIMIT_ANNOTATION];
  let cap = node.memoryLimit;
  if (requested !== undefined) {
    try {
      cap = narrowest(parseSize(requested, `annotation ${MEMORY_LIMIT_ANNOTATION}`), node.memoryLimit)!;
    } catch (error) {
      throw invalidArgument((error as Error).message, error);
    }
  }
  if (containerLimit === undefined || containerLimit <= 0) return cap;
  const forWasm = containerLimit - WORKER_HEAP_LIMIT_BYTES;
  if (forWasm < WASM_PAGE) {
    throw invalidArgument(`the container's memory limit of ${formatSize(containerLimit)} is too small for a Wasm task: its worker's heap takes up to ${formatSize(WORKER_HEAP_LIMIT_BYTES)}, and its Wasm memory needs the rest`);
  }
  return Math.min(cap, forWasm);
}

/** The node's ceiling: the config's [policy] lists, and DEFAULT_NODE_POLICY for any kind it leaves out. */
export function readNodePolicy(file: string | undefined): EbpfPolicy {
  if (!file) return { ...DEFAULT_NODE_POLICY };
  try {
    const listed = policyFromConfig(readDoc(file), file);
    return { ...DEFAULT_NODE_POLICY, ...listed, rules: { ...DEFAULT_NODE_POLICY.rules, ...listed.rules } };
  } catch (error) {
    if (error instanceof PolicyConfigError) throw invalidArgument(error.message, error);
    throw error;
  }
}

/** The container's policy keys if it sets any, else the image's; then capped by the node. */
export function taskPolicy(specAnnotations: Record<string, string> | undefined, imageAnnotations: Record<string, string> | undefined, node: EbpfPolicy): EbpfPolicy {
  const keys = Object.values(POLICY_ANNOTATIONS) as string[];
  const fromSpec = Object.keys(specAnnotations ?? {}).some((k) => keys.includes(k));
  const requested = policyFromAnnotations((fromSpec ? specAnnotations : imageAnnotations) ?? {});
  return capPolicy(requested, node);
}
