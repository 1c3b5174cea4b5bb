// The Kubernetes path on a real containerd: a test CRI client does exactly what the kubelet does
// for a pod with `runtimeClassName: wasmbpf` (RunPodSandbox with runtime handler "wasmbpf",
// CreateContainer from an imported execsnoop image, StartContainer), then reads the container's
// CRI log file and finds the exec events this test caused; stops it and runs it again as the
// kubelet restarts a container (attempt 1, same pod); then RemoveContainer, StopPodSandbox and
// RemovePodSandbox must leave no shim process, no container, no network namespace and no eBPF
// program, map or link behind.
//
// It skips only when a prerequisite is missing from this tree or machine, and says which.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CriClient } from '../test/helpers/cri-client.ts';
import { CriContainerd } from '../test/helpers/cri-containerd.ts';
import { bpfIds, newBpfObjects, type BpfIds } from '../test/helpers/bpf-state.ts';
import { criLogLines, podNetns, processesUnder } from '../test/helpers/cri-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { buildExampleImage } from '../test/helpers/example-image.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { parse } from 'yaml';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd with its CRI plugin, network namespaces and eBPF programs');

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The reason this machine or tree cannot run the test, or null when it can. */
function missingPrerequisite(): string | null {
  if (root.skip) return root.skip;
  for (const bin of ['containerd', 'ctr', 'runc', 'gcc', 'bpftool', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  }
  if (!existsSync('/usr/lib/cni/bridge')) return 'the CNI plugins (Debian containernetworking-plugins) are not in /usr/lib/cni';
  if (!existsSync(join(REPO, 'shim', 'main.ts'))) return 'shim/main.ts does not exist in this tree yet (the containerd shim, issue 5)';
  return null;
}

/** The wasmbpf.io/* policy annotations of manifests/examples/execsnoop-pod.yaml. */
function examplePolicy(): Record<string, string> {
  const pod = parse(readFileSync(join(REPO, 'manifests/examples/execsnoop-pod.yaml'), 'utf8')) as { metadata: { annotations: Record<string, string> } };
  const policy = Object.fromEntries(Object.entries(pod.metadata.annotations).filter(([k]) => k.startsWith('wasmbpf.io/')));
  assert.ok(Object.keys(policy).length >= 3, 'the example pod carries the policy annotations');
  return policy;
}

/** After the pod is gone: no sandbox, container, task, shim or container process, eBPF object, netns. */
async function assertNothingLeft(cri: CriClient, containerd: CriContainerd, bpfBefore: BpfIds, netnsBefore: Set<string>): Promise<void> {
  assert.deepEqual([...podNetns()].filter((n) => !netnsBefore.has(n)), [], "the pod's network namespace is removed");
  const pods = await cri.runtime<{ items: unknown[] }>('ListPodSandbox', {});
  assert.deepEqual(pods.items, [], 'no pod sandbox is left');
  const containers = await cri.runtime<{ containers: unknown[] }>('ListContainers', {});
  assert.deepEqual(containers.containers, [], 'no container is left');
  assert.equal((await containerd.containerd.ctrOk(['tasks', 'ls', '-q'])).trim(), '', 'no containerd task is left');
  const { dir, pid } = containerd.containerd;
  await waitFor('the shim and the pod processes to exit', () => processesUnder(dir, pid).length === 0, 10_000).catch(() => {
    assert.deepEqual(processesUnder(dir, pid), [], 'no shim or container process is left');
  });
  await waitFor('the eBPF objects to be freed', () => newBpfObjects(bpfBefore).length === 0, 10_000).catch(() => {
    assert.deepEqual(newBpfObjects(bpfBefore), [], 'no eBPF program, map or link is left');
  });
}

/**
 * The same kubelet sequence with the default runc handler and the pause image as the container:
 * proves this machine's containerd, CNI config, pause image and test client work, so a failure
 * of the wasmbpf test below points at wasmbpf.
 */
test('baseline: the CRI plugin runs a pod with runc here (pause image, CNI, test client)', { ...root.options, timeout: 120_000 }, async (t) => {
  for (const bin of ['containerd', 'ctr', 'runc', 'gcc']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
      t.skip(`${bin} is not installed`);
      return;
    }
  }
  const bpfBefore = bpfIds();
  const netnsBefore = podNetns();
  const containerd = await CriContainerd.start();
  const cri = new CriClient(containerd.socket);
  t.after(async () => {
    cri.close();
    await containerd.close();
  });
  const sandboxConfig = {
    metadata: { name: `baseline-${process.pid}`, uid: randomUUID(), namespace: 'default', attempt: 0 },
    hostname: 'baseline',
    logDirectory: join(containerd.logDir, 'baseline'),
  };
  const { podSandboxId } = await cri.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig, runtimeHandler: '' });
  const { containerId } = await cri.runtime<{ containerId: string }>('CreateContainer', {
    podSandboxId,
    sandboxConfig,
    config: { metadata: { name: 'pause', attempt: 0 }, image: { image: containerd.pauseRef }, logPath: 'pause/0.log' },
  });
  await cri.runtime('StartContainer', { containerId });
  assert.equal((await cri.containerStatus(containerId)).state, 'CONTAINER_RUNNING');
  await cri.runtime('StopContainer', { containerId, timeout: 5 });
  const stopped = await cri.containerStatus(containerId);
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 0, 'pause exits 0 on SIGTERM');
  await cri.runtime('RemoveContainer', { containerId });
  await cri.runtime('StopPodSandbox', { podSandboxId });
  await cri.runtime('RemovePodSandbox', { podSandboxId });
  await assertNothingLeft(cri, containerd, bpfBefore, netnsBefore);
});

test('a pod with runtime handler wasmbpf runs execsnoop through the CRI plugin and leaves nothing behind', { timeout: 600_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const work = mkdtempSync('/tmp/wbcri-test-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const ref = `registry.example.com/wasmbpf/execsnoop:cri-${process.pid}`;
  const tar = buildExampleImage('execsnoop', ref, work);

  const bpfBefore = bpfIds();
  const netnsBefore = podNetns();
  const containerd = await CriContainerd.start();
  const cri = new CriClient(containerd.socket);
  t.after(async () => {
    cri.close();
    await containerd.close();
  });
  const diag = () => `\n--- containerd log (tail) ---\n${containerd.log().slice(-6000)}`;

  const version = await cri.runtime<{ runtimeName: string; runtimeApiVersion: string }>('Version', { version: 'v1' });
  assert.equal(version.runtimeName, 'containerd');
  await containerd.importImage(tar);
  const images = (await containerd.containerd.ctrOk(['images', 'ls', '-q'])).split('\n');
  assert.ok(images.includes(ref), `ctr images import did not name the image ${ref}; it has: ${images.join(', ')}`);

  // What the kubelet sends for a pod `execsnoop` with runtimeClassName: wasmbpf.
  const podName = `execsnoop-${process.pid}`;
  const sandboxConfig = {
    metadata: { name: podName, uid: randomUUID(), namespace: 'default', attempt: 0 },
    hostname: podName,
    logDirectory: join(containerd.logDir, podName),
    labels: { app: 'execsnoop' },
    // The example manifest's policy annotations: they must let execsnoop do its job.
    annotations: examplePolicy(),
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  let sandboxId = '';
  const containerIds: string[] = [];
  try {
    ({ podSandboxId: sandboxId } = await cri.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'wasmbpf' }));
    const sandbox = await cri.runtime<{ status: { state: string; runtimeHandler: string } }>('PodSandboxStatus', { podSandboxId: sandboxId });
    assert.equal(sandbox.status.state, 'SANDBOX_READY');
    assert.equal(sandbox.status.runtimeHandler, 'wasmbpf');

    // One run of the container as the kubelet drives it: create (attempt N, log N.log), start,
    // see the execs this test causes in the log, stop. Returns the container id.
    const runContainer = async (attempt: number): Promise<string> => {
      const { containerId: id } = await cri.runtime<{ containerId: string }>('CreateContainer', {
        podSandboxId: sandboxId,
        sandboxConfig,
        config: {
          metadata: { name: 'execsnoop', attempt },
          image: { image: ref },
          logPath: `execsnoop/${attempt}.log`,
          labels: { app: 'execsnoop' },
          linux: { resources: { memoryLimitInBytes: 128 * 1024 * 1024, cpuShares: 256 } },
        },
      });
      containerIds.push(id);
      await cri.runtime('StartContainer', { containerId: id });
      const logPath = join(sandboxConfig.logDirectory, 'execsnoop', `${attempt}.log`);
      const running = await cri.containerStatus(id);
      assert.equal(running.state, 'CONTAINER_RUNNING', `container is ${running.state}: ${running.reason} ${running.message}\n${readFileSync(logPath, 'utf8')}`);
      assert.equal(running.logPath, logPath);
      // The pod's sandbox (handed to runc) and its Wasm container share the pod's one shim
      // server, grouped by the io.kubernetes.cri.sandbox-id annotation the CRI plugin sets.
      assert.equal(shimPids(containerd.socket).length, 1, 'one wasmbpf shim server for the pod');
      // The runtime entry's pod_annotations let the policy annotations through to the shim:
      // they are in the container's OCI spec next to the CRI plugin's own.
      const spec = JSON.parse(readFileSync(join(containerd.containerd.state, 'io.containerd.runtime.v2.task', 'k8s.io', id, 'config.json'), 'utf8')) as {
        annotations?: Record<string, string>;
      };
      for (const [k, v] of Object.entries(examplePolicy())) assert.equal(spec.annotations?.[k], v, `annotation ${k} reaches the shim`);
      assert.equal(spec.annotations?.['io.kubernetes.cri.sandbox-id'], sandboxId);
      assert.equal(spec.annotations?.['io.kubernetes.cri.container-type'], 'container');

      // Cause exec events with a name nobody else uses (comm holds 15 bytes), until execsnoop,
      // which attaches asynchronously after StartContainer returns, has reported one.
      const probeName = `wbp${randomBytes(5).toString('hex')}`;
      const probe = join(work, probeName);
      writeFileSync(probe, '#!/bin/sh\nexit 0\n');
      chmodSync(probe, 0o755);
      const seen = await waitFor(`execsnoop to report ${probeName} in ${logPath}`, async () => {
        spawnSync(probe, ['wasmbpf-cri-arg']);
        const status = await cri.containerStatus(id);
        if (status.state !== 'CONTAINER_RUNNING') {
          throw new Error(`execsnoop stopped early (${status.state}, exit ${status.exitCode}, ${status.reason} ${status.message}):\n${existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(no log)'}${diag()}`);
        }
        return criLogLines(logPath, 'stdout').find((l) => l.includes(probeName));
      }, 60_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n--- ${logPath} ---\n${existsSync(logPath) ? readFileSync(logPath, 'utf8') : '(missing)'}${diag()}`, { cause: err });
      });
      assert.match(seen, new RegExp(probeName));
      t.diagnostic(`attempt ${attempt}: execsnoop logged: ${seen}`);

      await cri.runtime('StopContainer', { containerId: id, timeout: 10 });
      const stopped = await cri.containerStatus(id);
      assert.equal(stopped.state, 'CONTAINER_EXITED');
      assert.notEqual(stopped.finishedAt, '0');
      return id;
    };
    await runContainer(0);
    // The kubelet restarts an exited container (restartPolicy Always) in the same pod: a new
    // container, attempt 1, in the pod's still-running shim server.
    await runContainer(1);
    while (containerIds.length > 0) await cri.runtime('RemoveContainer', { containerId: containerIds.pop() });
    await cri.runtime('StopPodSandbox', { podSandboxId: sandboxId });
    await cri.runtime('RemovePodSandbox', { podSandboxId: sandboxId });
    sandboxId = '';
  } catch (err) {
    if (err instanceof Error && !err.message.includes('--- containerd log')) err.message += diag();
    throw err;
  } finally {
    // On failure, tear down the way the kubelet would, so the checks below and the next test
    // start clean; errors here must not hide the first one.
    for (const containerId of containerIds) await cri.runtime('RemoveContainer', { containerId }).catch(() => undefined);
    if (sandboxId) {
      await cri.runtime('StopPodSandbox', { podSandboxId: sandboxId }).catch(() => undefined);
      await cri.runtime('RemovePodSandbox', { podSandboxId: sandboxId }).catch(() => undefined);
    }
  }

  await assertNothingLeft(cri, containerd, bpfBefore, netnsBefore);
});

test('a pod whose policy annotations forbid execsnoop\'s program fails with the rule in its log, and leaves nothing behind', { timeout: 300_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    t.skip(missing);
    return;
  }
  const work = mkdtempSync('/tmp/wbcri-test-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const ref = `registry.example.com/wasmbpf/execsnoop:cri-policy-${process.pid}`;
  const tar = buildExampleImage('execsnoop', ref, work);
  const bpfBefore = bpfIds();
  const netnsBefore = podNetns();
  const containerd = await CriContainerd.start();
  const cri = new CriClient(containerd.socket);
  t.after(async () => {
    cri.close();
    await containerd.close();
  });
  await containerd.importImage(tar);
  const sandboxConfig = {
    metadata: { name: `policy-${process.pid}`, uid: randomUUID(), namespace: 'default', attempt: 0 },
    hostname: 'policy',
    logDirectory: join(containerd.logDir, 'policy'),
    // execsnoop loads a tracepoint program; this pod allows kprobes only.
    annotations: { 'wasmbpf.io/allowed-program-types': 'kprobe' },
  };
  const { podSandboxId } = await cri.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'wasmbpf' });
  const { containerId } = await cri.runtime<{ containerId: string }>('CreateContainer', {
    podSandboxId,
    sandboxConfig,
    config: { metadata: { name: 'execsnoop', attempt: 0 }, image: { image: ref }, logPath: 'execsnoop/0.log' },
  });
  await cri.runtime('StartContainer', { containerId }).catch(() => undefined); // may fail or exit at once
  const exited = await waitFor('the refused container to exit', async () => {
    const st = await cri.containerStatus(containerId);
    return st.state === 'CONTAINER_EXITED' ? st : undefined;
  }, 60_000);
  assert.notEqual(exited.exitCode, 0, 'a refused module exits non-zero');
  const logPath = join(sandboxConfig.logDirectory, 'execsnoop', '0.log');
  const stderr = criLogLines(logPath, 'stderr').join('\n');
  assert.match(stderr, /policy: program 'handle_exec' is of type 'tracepoint'.*wasmbpf\.io\/allowed-program-types=kprobe/, `the rule is named in kubectl logs:\n${stderr}\n${containerd.log().slice(-3000)}`);
  await cri.runtime('RemoveContainer', { containerId });
  await cri.runtime('StopPodSandbox', { podSandboxId });
  await cri.runtime('RemovePodSandbox', { podSandboxId });
  await assertNothingLeft(cri, containerd, bpfBefore, netnsBefore);
});
