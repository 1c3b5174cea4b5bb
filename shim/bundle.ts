// The bundle containerd prepares for a task: config.json (the OCI runtime spec; process.args is
// the image's command), an empty rootfs/ to mount the snapshot on, and the log FIFO. Mounting
// goes through mount(8): overlay and bind, with the options exactly as containerd sends them
// (the same strings runc's shim hands to mount(2)).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ShimError, invalidArgument } from './errors.ts';
import type { RuntimeSpec } from '../oci-spec/runtime-spec.ts';
import type { Mount } from './protos.ts';

const run = promisify(execFile);

export const ANNOTATION_SANDBOX_ID = 'io.kubernetes.cri.sandbox-id';
export const ANNOTATION_CONTAINER_TYPE = 'io.kubernetes.cri.container-type';

/** Written by the server at a Wasm task's Create: the task's pid (the server's), for `delete` after a crash. runc's shim names its init's pid file the same. */
export const PID_FILE = 'init.pid';
/** Written by the server when it hands a container to runc: the runc shim's address, for `delete` after a crash. */
export const DELEGATE_MARKER = 'wasmbpf-delegated-to-runc';

export function readSpec(bundle: string): RuntimeSpec {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidArgument(`cannot read the bundle's runtime spec ${file}: ${(error as Error).message}`, error);
  }
  try {
    return JSON.parse(text) as RuntimeSpec;
  } catch (error) {
    throw invalidArgument(`${file} is not valid JSON: ${(error as Error).message}`, error);
  }
}

/** The task's pid recorded in the bundle's PID_FILE (by our server, or by runc for its init); 0 if none. */
export function recordedPid(bundle: string): number {
  try {
    const pid = Number(fs.readFileSync(path.join(bundle, PID_FILE), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}

/** Where the root filesystem lives: config.json's root.path, relative to the bundle. */
export function rootfsPath(bundle: string, spec: RuntimeSpec): string {
  return path.resolve(bundle, spec.root?.path ?? 'rootfs');
}

/** Mounts the snapshot's mounts on target; on failure unmounts what it did (roll back). */
export async function mountRootfs(mounts: Mount[], target: string): Promise<void> {
  const done: string[] = [];
  try {
    for (const m of mounts) {
      const args = ['-t', m.type, ...(m.options.length > 0 ? ['-o', m.options.join(',')] : []), m.source, target];
      await run('mount', args);
      done.push(target);
    }
  } catch (error) {
    for (const point of done.reverse()) await unmount(point);
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ShimError('WASMBPF_SHIM_MOUNT', `mounting the rootfs on ${target} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** Unmounts everything stacked on target; quiet when nothing is mounted. */
export async function unmount(target: string): Promise<void> {
  for (let i = 0; i < 8 && isMountPoint(target); i++) {
    try {
      await run('umount', [target]);
    } catch {
      await run('umount', ['-l', target]).catch(() => {});
    }
  }
}

export function isMountPoint(target: string): boolean {
  const resolved = path.resolve(target);
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') === resolved);
}
