// A shim server's Prometheus endpoint (GET /metrics), on when the node file's [metrics] names an
// address (metrics-config.ts). prom-client is imported here, when the endpoint starts, never on
// the path of a server whose metrics are off: `start` and a server's start-up are on the path of
// every container start. The server also lists its address for Prometheus' file_sd_configs in
// the discovery directory (one file per server, removed when it closes), since a node runs one
// server per pod and only the first can have the configured port.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseListenAddress } from './metrics-config.ts';
import { taskLabels } from './task-labels.ts';
import type { TaskFigures } from './prometheus-registry.ts';
import type { Logger } from './log.ts';
import type { WasmTask } from './wasm-task.ts';
import type { ModuleUsage } from '../runtime/index.ts';
import { WasmbpfError } from '../errors/index.ts';

export class MetricsEndpointError extends WasmbpfError {
  readonly code = 'WASMBPF_METRICS_ENDPOINT';
}

export interface MetricsEndpointOptions {
  /** host:port from [metrics] address. */
  address: string;
  /** Where to write this server's file_sd target list; '' for none. */
  discoveryDir: string;
  /** Names this server's discovery file (the server's socket path, hashed). */
  serverName: string;
  containerdNamespace: string;
  tasks: () => Iterable<WasmTask>;
  log: Logger;
}

export interface MetricsEndpoint {
  /** host:port it listens on (the configured one, or the free port it took instead). */
  readonly address: string;
  /** Stops listening and removes the discovery file. Idempotent. */
  close(): Promise<void>;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Every task's figures now. A task's CPU and memory read zero once its module has ended, so the
 * last ones seen while it ran are kept until it is deleted: its cpu counter must not go back to
 * zero (Prometheus would take that for a reset) while its other series keep their last values.
 */
async function figures(tasks: Iterable<WasmTask>, namespace: string, lastUsage: Map<WasmTask, ModuleUsage>): Promise<TaskFigures[]> {
  const list = [...tasks];
  for (const task of lastUsage.keys()) if (!list.includes(task)) lastUsage.delete(task);
  return Promise.all(list.map(async (task) => {
    let usage = await task.usage();
    if (task.taskState === 'running') lastUsage.set(task, usage);
    else usage = lastUsage.get(task) ?? usage;
    return { labels: taskLabels(task.id, task.annotations, namespace), usage, stats: task.moduleStats() };
  }));
}

export async function startMetricsEndpoint(opts: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const { host, port } = parseListenAddress(opts.address, '[metrics] address');
  const prom = await import('prom-client');
  const { TaskMetricsRegistry } = await import('./prometheus-registry.ts');
  const registry = new TaskMetricsRegistry(prom);
  const lastUsage = new Map<WasmTask, ModuleUsage>();
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('wasmbpf shim: only GET /metrics is served here\n');
      return;
    }
    void figures(opts.tasks(), opts.containerdNamespace, lastUsage).then(async (tasks) => {
      registry.update(tasks);
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    }).catch((error: unknown) => {
      opts.log.error('metrics scrape failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${String(error)}\n`);
    });
  });
  // Scrapes are short; a keep-alive socket left open must not hold the server's exit.
  server.keepAliveTimeout = 5000;
  try {
    await listen(server, host, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) {
      throw new MetricsEndpointError(`cannot serve metrics on ${opts.address}: ${(error as Error).message}`, { cause: error });
    }
    // Another server of this node has the port (one server per pod): any free one, same host.
    await listen(server, host, 0);
  }
  const bound = server.address() as { address: string; port: number };
  const address = `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  let discoveryFile: string | undefined;
  if (opts.discoveryDir) {
    try {
      fs.mkdirSync(opts.discoveryDir, { recursive: true, mode: 0o755 });
      discoveryFile = path.join(opts.discoveryDir, `${opts.serverName}.json`);
      const tmp = `${discoveryFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify([{ targets: [address], labels: { containerd_namespace: opts.containerdNamespace } }])}\n`);
      fs.renameSync(tmp, discoveryFile);
    } catch (error) {
      opts.log.warn('cannot write the metrics discovery file', { dir: opts.discoveryDir, error: String(error) });
      discoveryFile = undefined;
    }
  }
  opts.log.info('serving metrics', { address, discoveryFile });
  // A server that exits without close() (a crash: process.exit after an uncaught exception)
  // must not leave Prometheus a target that is gone. Only kill -9 can.
  const removeList = () => {
    if (discoveryFile) fs.rmSync(discoveryFile, { force: true });
  };
  process.once('exit', removeList);
  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        process.off('exit', removeList);
        removeList();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
