// The runtime's public surface, the only file of runtime/ the layers above (container/, shim/,
// cli/, image/) import. Importing it loads nothing native: libbpf is opened (dlopen, its print
// callback registered on this thread) only by loadModuleRunner() and removeJournaledTcFilters(),
// so a process that only reads policies, sizes or types (the shim's `start` and `delete`, the
// CLI's other commands) runs on a node without libbpf, and one that runs modules learns of a
// missing libbpf from the runtime's own message (LibbpfUnavailableError) when it asks for it.
import type { startModule } from './start-module.ts';

export { ModuleWorker, WorkerPool, WORKER_HEAP_LIMIT_BYTES } from './worker-pool.ts';
export { compileModule } from './module-cache.ts';
export {
  policyFromAnnotations, policyFromConfig, capPolicy, DEFAULT_NODE_POLICY, PolicyConfigError, POLICY_ANNOTATIONS, type EbpfPolicy,
} from './policy.ts';
export type { TaskCapabilities } from './capability-ceiling.ts';
export { mapTypeName } from './bpf/map-types.ts';
export {
  DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ANNOTATION, MemoryLimitError, WASM_PAGE, formatSize, narrowest, parseSize,
} from './wasm/memory-limit.ts';
export type {
  ModuleSpec, RunningModule, ExitStatus, StopSignal, BpfObjectCandidate, ModulePhase, ModuleUsage, ModuleStats,
} from './contract.ts';

/** Runs a module on a worker: one taken from a WorkerPool, a ModuleWorker started ahead, else a new one. */
export type StartModule = typeof startModule;

/** startModule (start-module.ts), once libbpf is loaded in this process: LibbpfUnavailableError when it cannot be. */
export async function loadModuleRunner(): Promise<StartModule> {
  return (await import('./start-module.ts')).startModule;
}

/**
 * Detaches the tc filters a dead task's journal records (bpf/tc-journal-cleanup.ts); how many
 * it removed. Loads libbpf: rejects with LibbpfUnavailableError when it cannot be.
 */
export async function removeJournaledTcFilters(dir: string): Promise<number> {
  return (await import('./bpf/tc-journal-cleanup.ts')).removeJournaledTcFilters(dir);
}
