// A private containerd with the CRI plugin on, for the CRI tests: the shared integration harness
// (test/helpers/containerd.ts: own root, state, sockets, this checkout's bin/ first on
// containerd's PATH, the stream processor for artifact images) started in namespace `k8s.io`
// with what the CRI plugin needs on top:
//   - a CNI bridge network (Debian's containernetworking-plugins) whose config, IPAM leases and
//     bridge device are this instance's own;
//   - the runtime handler `wasmbpf` (runtime_type io.containerd.wasmbpf.v1) letting the
//     wasmbpf.io/* policy annotations through, as `wasmbpf install` writes it;
//   - a pause image built locally (pause-image.ts) as `sandbox_image`: no internet.
// close() tears down leftover pods through the CRI API first, as the kubelet would, so a failed
// test leaves no shim, container or network namespace behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Containerd } from './containerd.ts';
import { CriClient } from './cri-client.ts';
import { buildPauseImage } from './cri-pause-image.ts';

export const CNI_BIN_DIR = '/usr/lib/cni';
export const K8S_NAMESPACE = 'k8s.io';

export class CriContainerd {
  /** The harness's containerd (socket, dir, ctr, log). */
  readonly containerd: Containerd;
  /** Test files: CNI config, IPAM leases, the pause image, pod log dirs. */
  readonly dir: string;
  readonly logDir: string;
  readonly pauseRef: string;
  /** The Linux bridge the CNI bridge plugin creates for pods; removed on close. */
  readonly bridge: string;
  readonly #cgroupsBefore: Set<string>;
  #closed = false;

  private constructor(containerd: Containerd, dir: string, pauseRef: string, bridge: string, cgroupsBefore: Set<string>) {
    this.containerd = containerd;
    this.dir = dir;
    this.logDir = join(dir, 'pods');
    this.pauseRef = pauseRef;
    this.bridge = bridge;
    this.#cgroupsBefore = cgroupsBefore;
  }

  get socket(): string {
    return this.containerd.socket;
  }

  log(): string {
    return this.containerd.log();
  }

  /** shimConfig: the shim's node file (Containerd.start's option), e.g. a [metrics] table. */
  static async start(options: { shimConfig?: string } = {}): Promise<CriContainerd> {
    const dir = mkdtempSync('/tmp/wbcri-');
    const pauseRef = `localhost/wasmbpf-test/pause:${process.pid}`;
    const bridge = bridgeName('wbcri');
    // The CRI plugin creates its parent cgroup `k8s.io` in every hierarchy and never removes it;
    // remember which existed so close() removes only ours.
    const cgroupsBefore = new Set(existingCgroupParents());
    let containerd: Containerd | undefined;
    try {
      mkdirSync(join(dir, 'cni'));
      mkdirSync(join(dir, 'pods'));
      writeFileSync(join(dir, 'cni', '10-wasmbpf-test.conflist'), cniConflist(dir, bridge));
      containerd = await Containerd.start({
        namespace: K8S_NAMESPACE,
        ...(options.shimConfig ? { shimConfig: options.shimConfig } : {}),
        cri: {
          cniConfDir: join(dir, 'cni'),
          cniBinDir: CNI_BIN_DIR,
          extraToml: ['  pod_annotations = ["wasmbpf.io/*"]', '  container_annotations = ["wasmbpf.io/*"]'].join('\n'),
        },
        extraToml: [
          '[plugins."io.containerd.grpc.v1.cri"]',
          `  sandbox_image = "${pauseRef}"`,
          // The kubelet's sandboxes ask for oom_score_adj -998; lowering it needs
          // CAP_SYS_RESOURCE, which containers and CI runners often lack. Clamp, don't fail.
          '  restrict_oom_score_adj = true',
          // containerd drops its built-in runtimes once the config names one (wasmbpf, above):
          // runc must be named too, or the CRI plugin refuses to load.
          '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
          '  runtime_type = "io.containerd.runc.v2"',
          '',
        ].join('\n'),
      });
    } catch (err) {
      await containerd?.stop();
      cleanupHost(dir, bridge, cgroupsBefore);
      throw err;
    }
    const c = new CriContainerd(containerd, dir, pauseRef, bridge, cgroupsBefore);
    try {
      await c.#waitCri();
      await c.importImage(await buildPauseImage(dir, pauseRef));
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** containerd answers `ctr version` before the CRI plugin serves; wait for the CRI API. */
  async #waitCri(): Promise<void> {
    const cri = new CriClient(this.socket, { timeoutMs: 2000 });
    const deadline = Date.now() + 20_000;
    try {
      for (;;) {
        try {
          await cri.runtime('Version', { version: 'v1' });
          return;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`the CRI plugin did not answer within 20 s: ${String(err)}\n${this.log().slice(-4000)}`, { cause: err });
          await sleep(100);
        }
      }
    } finally {
      cri.close();
    }
  }

  /** `ctr images import` into the k8s.io namespace, where the CRI plugin finds images. */
  async importImage(tar: string): Promise<void> {
    await this.containerd.ctrOk(['images', 'import', tar], { timeoutMs: 120_000 });
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
    // Pods a failed test left: removed as the kubelet would, so their shims, containers and
    // network namespaces do not outlive this containerd. Errors here must not hide the test's.
    await this.#removeAllPods().catch(() => undefined);
    await this.containerd.stop();
    cleanupHost(this.dir, this.bridge, this.#cgroupsBefore);
  }
}

/** A bridge name unique to this process; Linux caps interface names at 15 bytes. */
export function bridgeName(prefix: string): string {
  return `${prefix}${process.pid % 1_000_000}`;
}

/** Removes what the CRI plugin and CNI leave on the host (bridge, cgroup parents), then `dir`. */
export function cleanupHost(dir: string, bridge: string, cgroupsBefore: Set<string>): void {
  spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
  for (const cg of existingCgroupParents()) if (!cgroupsBefore.has(cg)) spawnSync('rmdir', [cg], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

export function existingCgroupParents(): string[] {
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

/**
 * A bridge network: the CRI plugin needs an interface with an address in the pod's network
 * namespace ("failed to find network info" with loopback alone). No gateway, no masquerade, so
 * no iptables rules to clean up; host-local keeps its leases in the temp dir, not /var/lib/cni.
 */
export function cniConflist(dir: string, bridge: string): string {
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
