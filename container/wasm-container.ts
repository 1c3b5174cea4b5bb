// A container this layer found to be a Wasm one, with everything it decided about it: the module
// and where it came from (module-source.ts), the eBPF policy and memory limit its task runs under
// (node-policy.ts), checked to compile under that limit (module-check.ts). The shim holds it
// from Create to Delete and, at Start, asks for the runtime's ModuleSpec with the task's stdio.
// runwasi's RuntimeContext plays this part between its shim and its engine.
import type { Arch } from '../oci-spec/arch.ts';
import type { RuntimeSpec } from '../oci-spec/runtime-spec.ts';
import type { EbpfPolicy, ModuleSpec } from '../runtime/index.ts';
import { checkModule } from './module-check.ts';
import type { ResolvedModule } from './module-source.ts';
import { taskLimits } from './node-policy.ts';
import { tcJournalOf } from './tc-journal.ts';

export interface WasmContainer {
  module: ResolvedModule;
  policy: EbpfPolicy;
  /** Bytes, the module's linear memory cap. */
  memoryLimit: number;
  hostArch: Arch;
}

export interface ContainerSettings {
  id: string;
  spec: RuntimeSpec;
  hostArch: Arch;
  /** The node's config file for this Create (none: the defaults). */
  nodeConfig: string | undefined;
  /** The runtime's compileModule (a stand-in in unit tests). */
  compile: (wasm: Uint8Array, memoryLimit: number) => Promise<unknown>;
}

/** The policy and limit of a resolved module's task, its module compiled under that limit: InvalidArgument when either cannot be. */
export async function prepareContainer(module: ResolvedModule, settings: ContainerSettings): Promise<WasmContainer> {
  const { spec } = settings;
  const memory = (spec.linux?.resources as { memory?: { limit?: number } } | undefined)?.memory;
  const { policy, memoryLimit } = taskLimits(spec, module.annotations, settings.nodeConfig, memory?.limit);
  await checkModule(settings.id, module, memoryLimit, settings.compile);
  return { module, policy, memoryLimit, hostArch: settings.hostArch };
}

/** What the runtime runs for the container: its module as decided, on the task's stdio, recording tc filters in the task's bundle. */
export function moduleSpec(container: WasmContainer, stdio: { stdin: number | undefined; stdout: number; stderr: number }, bundle: string): ModuleSpec {
  const { module } = container;
  return {
    wasm: module.wasm,
    args: module.args,
    env: module.env,
    ...(stdio.stdin !== undefined ? { stdin: stdio.stdin } : {}),
    stdout: stdio.stdout,
    stderr: stdio.stderr,
    bpfObjects: module.bpfObjects,
    hostArch: container.hostArch,
    policy: container.policy,
    memoryLimit: container.memoryLimit,
    tcJournal: tcJournalOf(bundle),
  };
}
