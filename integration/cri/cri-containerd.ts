// A private containerd with the CRI plugin on, for the CRI tests: its own root, state, sockets,
// CNI config and log dir in a temp dir, the `wasmbpf` runtime handler pointing at this checkout's
// shim, and a locally built pause image as the sandbox image.
//
// Separate from the shim tests' harness because the CRI plugin needs what they switch off: a CNI
// config (a loopback network from Debian's containernetworking-plugins), a sandbox image imported
// into the `k8s.io` namespace, and the runtime entry the kubelet's RuntimeClass names.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriClient } from './cri-client.ts';
import { buildPauseImage } from './pause-image.ts';

export const CNI_BIN_DIR = '/usr/lib/cni';
export const K8S_NAMESPACE = 'k8s.io';

export interface CriContainerdOptions {
  /** Absolute path (or name on PATH) of the shim binary for handler `wasmbpf`. */
  shim: string;
}

export class CriContainerd {
  readonly dir: string;
  readonly socket: string;
  readonly logDir: string;
  readonly pauseRef: string;
  /** The Linux bridge the CNI bridge plugin creates for pods; removed on close. */
  readonly bridge: string;
  readonly #proc: ChildProcess;
  readonly #log: string[];
  #closed = false;

  readonly #cgroupsBefore: Set<string>;

  private constructor(dir: string, proc: ChildProcess, log: string[], pauseRef: string, bridge: string, cgroupsBefore: Set<string>) {
    this.bridge = bridge;
    this.#cgroupsBefore = cgroupsBefore;
    this.dir = dir;
    this.socket = join(dir, 'c.sock');
    this.logDir = join(dir, 'pods');
    this.pauseRef = pauseRef;
    this.#proc = proc;
    this.#log = log;
  }

  /** containerd's own log so far, for failure messages. */
  log(): string {
    return this.#log.join('');
  }

  static async start(opts: CriContainerdOptions): Promise<CriContainerd> {
    // Short: the socket path must stay under ~100 bytes.
    const dir = mkdtempSync('/tmp/wbcri-');
    const pauseRef = `localhost/wasmbpf-test/pause:${process.pid}`;
    const bridge = bridgeName();
    try {
      mkdirSync(join(dir, 'cni'));
      mkdirSync(join(dir, 'pods'));
      writeFileSync(join(dir, 'cni', '10-wasmbpf-test.conflist'), cniConflist(dir, bridge));
      writeFileSync(join(dir, 'config.toml'), configToml(dir, opts.shim, pauseRef));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    // The CRI plugin creates its parent cgroup `k8s.io` in every v1 hierarchy and never removes
    // it; remember which ones were there so close() removes only ours.
    const cgroupsBefore = new Set(existingCgroupParents());
    const log: string[] = [];
    const proc = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (b: Buffer) => log.push(b.toString()));
    proc.stderr?.on('data', (b: Buffer) => log.push(b.toString()));
    const c = new CriContainerd(dir, proc, log, pauseRef, bridge, cgroupsBefore);
    try {
      await c.#waitReady();
      await c.importPauseImage();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.#proc.exitCode !== null) throw new Error(`containerd exited with ${this.#proc.exitCode}:\n${this.log()}`);
      // The CRI plugin is up when its gRPC service answers; `ctr version` only proves containerd.
      if (existsSync(this.socket) && this.log().includes('Start cri plugin') && this.ctr(['version']).status === 0) return;
      await sleep(50);
    }
    throw new Error(`containerd did not come up within 20 s:\n${this.log()}`);
  }

  /** Runs `ctr` against this containerd in the k8s.io namespace (where the CRI plugin looks). */
  ctr(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ctr', ['--address', this.socket, '--namespace', K8S_NAMESPACE, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  }

  importImage(tar: string): void {
    const r = this.ctr(['images', 'import', tar]);
    if (r.status !== 0) throw new Error(`ctr images import ${tar} failed: ${r.stderr}`);
  }

  async importPauseImage(): Promise<void> {
    this.importImage(await buildPauseImage(this.dir, this.pauseRef));
  }

  async #removeAllPods(): Promise<void> {
    const cri = new CriClient(this.socket, { timeoutMs: 30_000 });
    try {
      const { items } = await cri.runtime<{ items: { id: string }[] }>('ListPodSandbox', {});
      for (const { id } of items) {
        await cri.runtime('StopPodSandbox', { podSandboxId: id }).catch(() => undefined);
        await cri.runtime('RemovePodSandbox', { podSandboxId: id }).catch(() => undefined);
      }
    } finally {
      cri.close();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      // A test that failed midway leaves pods running: remove them as the kubelet would, so their
      // shims, containers and network namespaces do not outlive this containerd.
      await this.#removeAllPods().catch((err: unknown) => this.#log.push(`cleanup: ${String(err)}\n`));
      const exited = new Promise((resolve) => this.#proc.once('exit', resolve));
      this.#proc.kill('SIGTERM');
      const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // Snapshots may still be mounted if a test failed midway; unmount before removing the dir.
    const mounts = spawnSync('sh', ['-c', `grep -o ' ${this.dir}[^ ]*' /proc/self/mounts | sort -r`], { encoding: 'utf8' }).stdout.trim();
    for (const m of mounts.split('\n').filter(Boolean)) spawnSync('umount', ['-l', m.trim()]);
    spawnSync('ip', ['link', 'delete', this.bridge], { stdio: 'ignore' });
    for (const cg of existingCgroupParents()) if (!this.#cgroupsBefore.has(cg)) spawnSync('rmdir', [cg], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function existingCgroupParents(): string[] {
  const root = '/sys/fs/cgroup';
  try {
    return readdirSync(root)
      .map((h) => join(root, h, K8S_NAMESPACE))
      .concat(join(root, K8S_NAMESPACE))
      .filter((p) => existsSync(p));
  } catch {
    return [];
  }
}

/** A bridge name unique to this process; Linux caps interface names at 15 bytes. */
function bridgeName(): string {
  return `wbcri${process.pid % 1_000_000}`;
}

/**
 * A bridge network: the CRI plugin needs an interface with an address in the pod's network
 * namespace ("failed to find network info" with loopback alone). No gateway, no masquerade, so
 * no iptables rules to clean up; host-local keeps its leases in the temp dir, not /var/lib/cni.
 */
function cniConflist(dir: string, bridge: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'wasmbpf-test',
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: false,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.254.77.0/24' }]], dataDir: join(dir, 'ipam') },
      },
      { type: 'loopback' },
    ],
  });
}

function configToml(dir: string, shim: string, pauseRef: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"

[grpc]
  address = "${dir}/c.sock"

[ttrpc]
  address = "${dir}/c.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseRef}"
  # The kubelet's pods ask for oom_score_adj -998 for the sandbox; lowering it needs
  # CAP_SYS_RESOURCE, which containers and CI runners often lack. Clamp instead of failing.
  restrict_oom_score_adj = true
  # The test talks to the CRI socket only; no streaming server on the network.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${dir}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmbpf]
      runtime_type = "${shim}"
      pod_annotations = ["wasmbpf.io/*"]
      container_annotations = ["wasmbpf.io/*"]
`;
}
