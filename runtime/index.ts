// The runtime's public surface: run a module (contract.ts), keep workers warm, compile ahead, and
// the host architecture.
export { startModule, hostArch, RuntimeError } from './start-module.ts';
export { ModuleWorker, WorkerPool, WORKER_HEAP_LIMIT_BYTES } from './worker-pool.ts';
export { compileModule } from './module-cache.ts';
export { policyFromAnnotations, policyFromConfig, capPolicy, DEFAULT_NODE_POLICY, PolicyConfigError, POLICY_ANNOTATIONS, type EbpfPolicy } from './policy.ts';
export type { ModuleSpec, RunningModule, ExitStatus, StopSignal, BpfObjectCandidate, ModulePhase, ModuleUsage } from './contract.ts';
