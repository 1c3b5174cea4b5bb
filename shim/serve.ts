// The long-lived shim server: one per container group (a CRI pod, by its sandbox id; else one
// per container). `start` spawns it detached with `-socket PATH serve`; it listens there, tells
// its parent it is ready on fd 3, and lives until a Shutdown finds no task left.
import fs from 'node:fs';
import { TtrpcServer } from '../ttrpc/index.ts';
import { ContainerdApi } from './containerd-api.ts';
import { EventPublisher } from './events.ts';
import { fdLogger, openBundleLog } from './log.ts';
import { RuncDelegates } from './runc-delegate.ts';
import { TASK_SERVICE, TaskService } from './task-service.ts';
import type { ShimFlags } from './flags.ts';

const READY_FD = 3;

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
  // Imported here, not at the top: a node without libbpf fails here with the runtime's message
  // (naming libbpf and how to install it), which `start` passes on to containerd.
  const { startModule, hostArch } = await import('../runtime/index.ts');
  const logFd = openBundleLog(process.cwd());
  const log = fdLogger(logFd, { runtime: 'io.containerd.wasmbpf.v1', namespace: flags.namespace, pid: process.pid }, flags.debug);
  const events = new EventPublisher(flags.ttrpcAddress, flags.namespace, log);
  const delegates = new RuncDelegates(flags, log);
  let api: ContainerdApi | undefined;
  const server = new TtrpcServer({ log: (message, error) => log.error(message, { error: error === undefined ? undefined : String(error) }) });

  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await server.close(2000);
    await events.close();
    delegates.closeAll();
    api?.close();
    log.info('shim server exiting', { code });
    process.exit(code);
  };

  const service = new TaskService({
    events,
    log,
    delegates,
    api: () => (api ??= new ContainerdApi(flags.address, flags.namespace)),
    startModule,
    hostArch: hostArch(),
    onIdle: () => void exit(0),
  });
  server.register(TASK_SERVICE, service.handlers());
  await server.listen(flags.socket);
  log.info('shim server listening', { socket: flags.socket, id: flags.id });

  // Crash-only on a bug: state after an uncaught exception cannot be trusted, and containerd
  // cleans up a dead shim (`delete`) and reports its tasks stopped. Log it where containerd looks.
  process.on('uncaughtException', (error) => {
    log.error('uncaught exception; the shim server exits', { error: error.stack ?? String(error) });
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void exit(0));
}
