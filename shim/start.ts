// `start`: containerd runs the shim binary with the task's flags in the bundle directory and
// reads exactly one line from it, the address of the ttrpc server for this task. Tasks of one
// group (group.ts: a CRI pod, or every Wasm task of the namespace, as the node's [shim] grouping
// says) share a server: if the group's server is up, its address is printed again; otherwise a
// detached server is spawned (its own session, stdio away from containerd's pipes) with the
// node's settings and the address printed once it listens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readSpec } from './bundle.ts';
import { ShimError } from './errors.ts';
import { NODE_GROUP, SOCKET_DIR, groupOf, isServing, socketPath } from './group.ts';
import { decodeAny, nodeConfigPath, readShimSettings } from './node-config.ts';
import { readMetricsSettings } from './metrics-config.ts';
import { SHIM_BINARY } from './names.ts';
import type { ShimFlags } from './flags.ts';

export { groupOf, socketPath } from './group.ts';

const READY_TIMEOUT_MS = 30_000;

/**
 * The runtime options containerd writes on stdin (CRI: the runtime's `options`, with ConfigPath):
 * containerd gives `start` a pipe holding them, closed after them, or /dev/null. Anything else
 * (a terminal, a socket a test harness keeps open) is not containerd's and is not read: a read to
 * end-of-file there could wait for ever.
 */
function runtimeOptions() {
  try {
    if (!fs.fstatSync(0).isFIFO()) return undefined;
    const bytes = fs.readFileSync(0);
    return bytes.length > 0 ? decodeAny(bytes) : undefined;
  } catch {
    return undefined; // no stdin at all
  }
}

/**
 * containerd reads <bundle>/address when it restarts, to reconnect to its running shims (it
 * kills what it cannot reconnect to), so the address is written there too, atomically.
 */
function writeAddressFile(bundle: string, address: string): void {
  const tmp = path.join(bundle, `.address.${process.pid}`);
  fs.writeFileSync(tmp, address);
  fs.renameSync(tmp, path.join(bundle, 'address'));
}

export async function start(flags: ShimFlags): Promise<string> {
  const bundle = process.cwd();
  const spec = readSpec(bundle);
  const configFile = nodeConfigPath(runtimeOptions());
  const settings = readShimSettings(configFile);
  const group = groupOf(flags.id, spec.annotations, settings.grouping);
  const socket = socketPath(flags, group);
  const address = `unix://${socket}`;
  if (await isServing(socket)) {
    writeAddressFile(bundle, address);
    return address;
  }
  fs.mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  // Read only for a server about to start: a running one already has its endpoint.
  const metrics = readMetricsSettings(configFile);

  const args = [...process.execArgv, process.argv[1]!, '-namespace', flags.namespace, '-address', flags.address,
    '-publish-binary', flags.publishBinary, '-id', flags.id, '-socket', socket,
    // A pod's server ends with the pod (containerd's Shutdown after its last task); a node's
    // waits for the next task a while.
    '-grouping', group === NODE_GROUP ? 'node' : 'pod',
    '-idle-timeout', String(group === NODE_GROUP ? settings.idleTimeoutMs : 0), '-spare-workers', String(settings.spareWorkers),
    ...(metrics.address ? ['-metrics-address', metrics.address, '-metrics-discovery', metrics.discoveryDir] : []),
    ...(metrics.address && metrics.kernelStats ? ['-metrics-kernel-stats'] : []),
    ...(flags.debug ? ['-debug'] : []), 'serve'];
  const child = spawn(process.execPath, args, {
    argv0: SHIM_BINARY, // what ps shows for it (process-name.ts)
    cwd: bundle,
    detached: true,
    // No pipes of ours on its stdio: it outlives us, and a write to a closed pipe would fail.
    // It reports on fd 3 ("ready" or "error: why") and logs to the bundle's log FIFO.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, TTRPC_ADDRESS: flags.ttrpcAddress },
  });
  const status = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  let report = '';
  const line = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(`error: not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    status.on('data', (chunk: Buffer) => {
      report += chunk.toString();
      if (report.includes('\n')) {
        clearTimeout(timer);
        resolve(report.split('\n')[0]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(report.split('\n')[0] || `error: exited with status ${code} before it was ready`);
    });
  });
  status.destroy();
  if (line !== 'ready') {
    // Two starts of one pod can race; the loser's server fails to listen, the winner serves.
    if (child.exitCode === null) child.kill('SIGKILL');
    if (await isServing(socket)) {
      writeAddressFile(bundle, address);
      return address;
    }
    throw new ShimError('WASMBPF_SHIM_START', `the shim server did not start: ${line.replace(/^error: /, '')}`);
  }
  child.unref();
  writeAddressFile(bundle, address);
  return address;
}
