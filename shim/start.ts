// `start`: containerd runs the shim binary with the task's flags in the bundle directory and
// reads exactly one line from it, the address of the ttrpc server for this task. Containers of
// one CRI pod (same io.kubernetes.cri.sandbox-id annotation) share a server: if the group's
// server is up, its address is printed again; otherwise a detached server is spawned (its own
// session, stdio away from containerd's pipes) and the address printed once it listens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readSpec } from './bundle.ts';
import { ShimError } from './errors.ts';
import { SOCKET_DIR, groupOf, isServing, socketPath } from './group.ts';
import type { ShimFlags } from './flags.ts';

export { groupOf, socketPath } from './group.ts';

const READY_TIMEOUT_MS = 30_000;

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
  const socket = socketPath(flags, groupOf(flags.id, spec.annotations));
  const address = `unix://${socket}`;
  if (await isServing(socket)) {
    writeAddressFile(bundle, address);
    return address;
  }
  fs.mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });

  const args = [...process.execArgv, process.argv[1]!, '-namespace', flags.namespace, '-address', flags.address,
    '-publish-binary', flags.publishBinary, '-id', flags.id, '-socket', socket, ...(flags.debug ? ['-debug'] : []), 'serve'];
  const child = spawn(process.execPath, args, {
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
    throw new ShimError('internal', 'WASMBPF_SHIM_START', `the shim server did not start: ${line.replace(/^error: /, '')}`);
  }
  child.unref();
  writeAddressFile(bundle, address);
  return address;
}
