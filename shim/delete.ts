// `delete`: containerd runs this when it lost the shim server (it crashed or was killed) to
// clean up the bundle: unmount the rootfs the server mounted, and report the task dead. For a
// container the server had handed to runc, runc's shim does the cleanup and answers. The
// modules themselves died with the server process: their eBPF programs, links and maps were
// file descriptors of that process, so the kernel already released them.
import fs from 'node:fs';
import { isLive } from '../ttrpc/index.ts';
import { deleteDelegated } from './runc-delegate.ts';
import { groupOf, socketPath } from './start.ts';
import { readSpec, rootfsPath, unmount } from './bundle.ts';
import { Task, timestamp } from './protos.ts';
import { removeTaskCgroup } from './cgroup.ts';
import type { ShimFlags } from './flags.ts';

const SIGKILL_STATUS = 128 + 9;

export async function deleteBundle(flags: ShimFlags): Promise<Uint8Array> {
  const bundle = flags.bundle || process.cwd();
  const delegated = await deleteDelegated(flags, bundle);
  if (delegated) return delegated;
  let rootfs = `${bundle}/rootfs`;
  try {
    const spec = readSpec(bundle);
    rootfs = rootfsPath(bundle, spec);
    removeTaskCgroup(spec.linux?.cgroupsPath); // the dead server's, now empty
    // the dead server's socket file, unless a server of the group is alive (a pod's other tasks)
    const socket = socketPath(flags, groupOf(flags.id, spec.annotations));
    if (!(await isLive(socket))) fs.rmSync(socket, { force: true });
  } catch {
    // config.json gone: the default place is all we can clean
  }
  await unmount(rootfs);
  return Task.DeleteResponse.encode({ pid: 0, exitStatus: SIGKILL_STATUS, exitedAt: timestamp(new Date()) });
}
