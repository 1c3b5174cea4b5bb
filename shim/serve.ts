// The long-lived shim server of one group (group.ts): a CRI pod's, or every Wasm task's of a
// containerd namespace. `start` spawns it detached with `-socket PATH serve`; it listens there,
// tells its parent it is ready on fd 3, and keeps `-spare-workers` module workers booted for the
// next task (runtime/worker-pool.ts). It exits once no task is left: a pod's server at once after
// containerd's Shutdown; a node's server after -idle-timeout ms with no task and no connection,
// so the next container finds it warm.
import fs from 'node:fs';
import path from 'node:path';
import { hostArch } from '../oci-spec/arch.ts';
import { compileModule, loadModuleRunner, WorkerPool } from '../runtime/index.ts';
import { TtrpcServer } from '../ttrpc/index.ts';
import { ContainerdApi } from './containerd-api.ts';
import { EventPublisher } from './events.ts';
import { BundleLogs, openBundleLog } from './log.ts';
import { RuncDelegates } from './runc-delegate.ts';
import { RUNTIME_TYPE, TASK_SERVICE } from './names.ts';
import { TaskService } from './task-service.ts';
import type { MetricsEndpoint } from './metrics-endpoint.ts';
import type { ShimFlags } from './flags.ts';

const READY_FD = 3;
/**
 * A node's server waits at least this long after its last connection closed, whatever the idle
 * timeout: `start` probes the server and prints its address, and containerd dials it for the
 * Create a moment later; exiting in between would fail that container.
 */
const NODE_IDLE_FLOOR_MS = 2000;

/** Tells `start` (waiting on fd 3) how startup went: "ready", or "error: why". */
function report(line: string): void {
  try {
    fs.writeSync(READY_FD, `${line}\n`);
    fs.closeSync(READY_FD);
  } catch {
    // started by hand, without the readiness pipe
  }
}

export async function serve(flags: ShimFlags): Promise<void> {
  try {
    await listen(flags);
  } catch (error) {
    report(`error: ${(error as Error).message}`);
    throw error;
  }
  report('ready');
}

async function listen(flags: ShimFlags): Promise<void> {
  // libbpf is loaded here, not when this file is: a node without it fails here with the
  // runtime's message (naming libbpf and how to install it), which `start` passes on to containerd.
  const startModule = await loadModuleRunner();
  const logs = new BundleLogs(openBundleLog(process.cwd()));
  // The first task's bundle is only where this server was started: containerd removes it with
  // that task, and nothing here may depend on it afterwards (a node's server outlives it).
  process.chdir('/');
  const log = logs.logger({ runtime: RUNTIME_TYPE, namespace: flags.namespace, pid: process.pid }, flags.debug);
  const events = new EventPublisher(flags.ttrpcAddress, flags.namespace, log);
  const delegates = new RuncDelegates(flags, log);
  const pool = new WorkerPool(flags.spareWorkers);
  let api: ContainerdApi | undefined;
  let metrics: MetricsEndpoint | undefined;

  let exiting = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let service: TaskService | undefined;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    if (idleTimer) clearTimeout(idleTimer);
    await server.close(2000);
    await metrics?.close();
    await events.close();
    delegates.closeAll();
    api?.close();
    await pool.close();
    log.info('shim server exiting', { code });
    process.exit(code);
  };
  // Idle: no task, and nobody connected (containerd dials the server before its Create; `start`
  // probes it before printing its address). Any connection puts the countdown off.
  const idle = () => service !== undefined && service.taskCount === 0 && server.connectionCount === 0;
  const nodeServer = flags.grouping === 'node';
  const armIdleTimer = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (!nodeServer || exiting || !idle()) return;
    idleTimer = setTimeout(() => {
      if (!idle()) return;
      log.info('idle: no task for the idle timeout, exiting', { idleTimeoutMs: flags.idleTimeoutMs });
      void exit(0);
    }, Math.max(flags.idleTimeoutMs, NODE_IDLE_FLOOR_MS));
  };
  const server = new TtrpcServer({
    log: (message, error) => log.error(message, { error: error === undefined ? undefined : String(error) }),
    onConnections: armIdleTimer,
  });

  service = new TaskService({
    events,
    log,
    logs,
    delegates,
    api: () => (api ??= new ContainerdApi(flags.address, flags.namespace)),
    // [metrics] kernel-stats: the kernel counts the modules' program runs (runtime/bpf/bpf-stats.ts).
    startModule: (spec) => startModule(flags.metricsAddress && flags.metricsKernelStats ? { ...spec, kernelStats: true } : spec, pool),
    compileModule,
    hostArch: hostArch(),
    sharedServer: nodeServer,
    onIdle: () => (nodeServer ? armIdleTimer() : void exit(0)),
  });
  server.register(TASK_SERVICE, service.handlers());
  await server.listen(flags.socket);
  armIdleTimer(); // a node's server that no task ever reaches does not stay forever
  if (flags.metricsAddress) {
    // Imported only here: a server without metrics never loads prom-client.
    const { startMetricsEndpoint } = await import('./metrics-endpoint.ts');
    const svc = service;
    try {
      metrics = await startMetricsEndpoint({
        address: flags.metricsAddress, discoveryDir: flags.metricsDiscovery, serverName: path.basename(flags.socket),
        containerdNamespace: flags.namespace, tasks: () => svc.wasmTasks, log,
      });
    } catch (error) {
      // Tasks run without their metrics rather than not at all.
      log.error('metrics endpoint not started', { error: String(error) });
    }
  }
  log.info('shim server listening', { socket: flags.socket, id: flags.id, grouping: flags.grouping, idleTimeoutMs: flags.idleTimeoutMs, spareWorkers: flags.spareWorkers });

  // Crash-only on a bug: state after an uncaught exception cannot be trusted, and containerd
  // cleans up a dead shim (`delete`) and reports its tasks stopped. Log it where containerd looks.
  process.on('uncaughtException', (error) => {
    log.error('uncaught exception; the shim server exits', { error: error.stack ?? String(error) });
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void exit(0));
}
