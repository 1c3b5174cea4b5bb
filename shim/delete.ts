// `delete`: containerd 1.6 runs this after every task's Delete (its client's on-close hook,
// which also fires on a clean Shutdown) and, what it is for, when it lost the shim server (it
// crashed or was killed -9, also found dead when containerd itself restarts). It cleans up the
// bundle: unmounts the rootfs the server mounted, removes the task's cgroup and the dead
// server's socket, and answers exit status 137 with the task's pid (what runc's shim answers);
// containerd publishes that as the task's exit and removes the task. For a container the server
// had handed to runc, the runc shim does the cleanup (runc-delegate.ts).
//
// The modules died with the server process, and so did their eBPF programs, links, maps and
// buffers: all were file descriptors of that process, which the kernel released. A tc filter
// attached through netlink (kernels without tcx) is not an fd: the task's journal in the bundle
// lists those, and they are removed here (container/tc-journal.ts).
//
// Kept light on purpose (no protobufjs, no ttrpc): it is a whole process start on the path of
// every `ctr task delete`.
import fs from 'node:fs';
import path from 'node:path';
// container/tc-journal.ts itself, not the layer's index: that would load the image code too.
import { removeLeftoverTcFilters } from '../container/tc-journal.ts';
import { DELEGATE_MARKER, readSpec, recordedPid, rootfsPath, unmount } from './bundle.ts';
import { removeTaskCgroup } from './cgroup.ts';
import { encodeDeleteResponse } from './delete-response.ts';
import { isServing } from './group.ts';
import type { ShimFlags } from './flags.ts';

const SIGKILL_STATUS = 128 + 9;

/** Whether a process with this pid runs (0: none recorded; a zombie has ended). */
function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function deleteBundle(flags: ShimFlags): Promise<Uint8Array> {
  const bundle = flags.bundle || process.cwd();
  if (fs.existsSync(path.join(bundle, DELEGATE_MARKER))) {
    const { deleteDelegated } = await import('./runc-delegate.ts');
    return deleteDelegated(flags, bundle);
  }
  let rootfs = `${bundle}/rootfs`;
  try {
    const spec = readSpec(bundle);
    rootfs = rootfsPath(bundle, spec);
    removeTaskCgroup(spec.linux?.cgroupsPath); // the dead server's, now empty
    // the dead server's socket file (`start` wrote its address into the bundle), unless the
    // server is alive (this was a normal Delete, or the group's other tasks still run there).
    // Alive is its process (the task's recorded pid), not only an answer on the socket: a
    // server too busy to accept at that moment must not lose its socket to a cleanup.
    const socket = fs.readFileSync(path.join(bundle, 'address'), 'utf8').replace(/^unix:\/\//, '');
    const serverPid = recordedPid(bundle);
    if (socket.startsWith('/') && !processAlive(serverPid) && !(await isServing(socket))) fs.rmSync(socket, { force: true });
  } catch {
    // config.json gone: the default place is all we can clean
  }
  await unmount(rootfs);
  await removeLeftoverTcFilters(bundle);
  return encodeDeleteResponse(recordedPid(bundle), SIGKILL_STATUS, new Date());
}
