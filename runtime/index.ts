// The runtime's public surface: run a module (contract.ts) and the host architecture.
export { startModule, hostArch, RuntimeError } from './start-module.ts';
export { policyFromAnnotations, policyFromConfig, capPolicy, DEFAULT_NODE_POLICY, PolicyConfigError, POLICY_ANNOTATIONS, type EbpfPolicy } from './policy.ts';
export type { ModuleSpec, RunningModule, ExitStatus, StopSignal, BpfObjectCandidate } from './contract.ts';
