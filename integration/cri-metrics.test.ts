// The shim's metrics on the Kubernetes path: two pods on a real containerd's CRI plugin, each
// with a wbstats container, so two shim servers (one per pod) under one node file: the first has
// the configured port, the second a free one, and both are listed for file_sd. A real Prometheus
// scrapes both, and each container's series carry its pod, Kubernetes namespace and container
// name from the CRI annotations, with the records the test emitted for that container.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CriClient } from '../test/helpers/cri-client.ts';
import { CriContainerd } from '../test/helpers/cri-containerd.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { emitRecords, uniqueMarker, wbstatsImage } from '../test/helpers/wbstats-image.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startPrometheus } from '../test/helpers/prometheus.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const IMAGE = `localhost/wasmbpf-test/wbstats:cri-${process.pid}`;

test('per-pod shim servers each serve their pod\'s metrics, labelled with pod, namespace and container, all scraped through file_sd', { ...root.options, timeout: 300_000 }, async (t) => {
  const discoveryDir = mkdtempSync('/tmp/wbmsd-');
  t.after(() => rmSync(discoveryDir, { recursive: true, force: true }));
  const port = await freePort();
  const containerd = await CriContainerd.start({
    shimConfig: `[metrics]\naddress = "127.0.0.1:${port}"\ndiscovery-dir = "${discoveryDir}"\n`,
  });
  const cri = new CriClient(containerd.socket);
  t.after(async () => {
    cri.close();
    await containerd.close();
  });
  await containerd.importImage(wbstatsImage(IMAGE));

  const pods: { name: string; namespace: string; marker: number; n: number; sandboxId: string; containerId: string }[] = [
    { name: `wbm-a-${process.pid}`, namespace: 'team-a', marker: uniqueMarker(), n: 120, sandboxId: '', containerId: '' },
    { name: `wbm-b-${process.pid}`, namespace: 'team-b', marker: uniqueMarker(), n: 70, sandboxId: '', containerId: '' },
  ];
  t.after(async () => {
    for (const p of pods) {
      if (p.containerId) await cri.runtime('RemoveContainer', { containerId: p.containerId }).catch(() => undefined);
      if (p.sandboxId) {
        await cri.runtime('StopPodSandbox', { podSandboxId: p.sandboxId }).catch(() => undefined);
        await cri.runtime('RemovePodSandbox', { podSandboxId: p.sandboxId }).catch(() => undefined);
      }
    }
  });
  for (const p of pods) {
    const sandboxConfig = {
      metadata: { name: p.name, uid: randomUUID(), namespace: p.namespace, attempt: 0 },
      hostname: p.name,
      logDirectory: join(containerd.logDir, p.name),
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    ({ podSandboxId: p.sandboxId } = await cri.runtime<{ podSandboxId: string }>('RunPodSandbox', { config: sandboxConfig, runtimeHandler: 'wasmbpf' }));
    ({ containerId: p.containerId } = await cri.runtime<{ containerId: string }>('CreateContainer', {
      podSandboxId: p.sandboxId,
      sandboxConfig,
      config: { metadata: { name: 'tracer', attempt: 0 }, image: { image: IMAGE }, command: ['/wbstats.wasm'], args: [String(p.marker)], logPath: 'tracer/0.log' },
    }));
    await cri.runtime('StartContainer', { containerId: p.containerId });
  }
  assert.equal(shimPids(containerd.socket).length, 2, 'one shim server per pod');
  await waitFor('both servers listed for file_sd', () => readdirSync(discoveryDir).length === 2, 20_000);

  const prom = await startPrometheus(t, discoveryDir);
  const value = async (q: string) => {
    const r = await prom.query(q);
    return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
  };
  // Attached (the program attach host call made) before records are emitted.
  for (const p of pods) {
    await waitFor(`${p.name} attached and scraped`, async () =>
      ((await value(`wasmbpf_host_calls_total{pod="${p.name}",kind="attach_bpf_program"}`)) ?? 0) >= 1, 60_000);
  }
  const targets = await prom.query('up{job="wasmbpf"}');
  assert.equal(targets.length, 2, `Prometheus scrapes both servers: ${JSON.stringify(targets)}`);
  assert.ok(targets.some((x) => x.metric.instance === `127.0.0.1:${port}`), 'one of them on the configured port');
  for (const p of pods) emitRecords(p.marker, p.n);
  for (const p of pods) {
    await waitFor(`${p.name}'s ${p.n} records in Prometheus`, async () =>
      (await value(`wasmbpf_buffer_records_delivered_total{pod="${p.name}",kind="perf"}`)) === p.n, 30_000);
    const series = await prom.query(`wasmbpf_buffer_records_delivered_total{pod="${p.name}",kind="ringbuf"}`);
    assert.equal(series.length, 1);
    const labels = series[0]!.metric;
    assert.equal(labels.namespace, p.namespace);
    assert.equal(labels.container, 'tracer');
    assert.equal(labels.container_id, p.containerId);
    assert.equal(labels.containerd_namespace, 'k8s.io');
    assert.equal(Number(series[0]!.value[1]), p.n);
    assert.equal(await value(`wasmbpf_buffer_records_lost_total{pod="${p.name}"}`), 0);
  }
  // The docs' per-pod question, answered per pod.
  const perPod = await prom.query('sum by (namespace, pod) (wasmbpf_buffer_records_delivered_total)');
  assert.deepEqual(Object.fromEntries(perPod.map((r) => [r.metric.pod, Number(r.value[1])])), Object.fromEntries(pods.map((p) => [p.name, 2 * p.n])));

  for (const p of pods) {
    await cri.runtime('StopContainer', { containerId: p.containerId, timeout: 10 });
    await cri.runtime('RemoveContainer', { containerId: p.containerId });
    p.containerId = '';
    await cri.runtime('StopPodSandbox', { podSandboxId: p.sandboxId });
    await cri.runtime('RemovePodSandbox', { podSandboxId: p.sandboxId });
    p.sandboxId = '';
  }
  await waitFor('the pods\' servers exited and removed their lists', () => readdirSync(discoveryDir).length === 0 && shimPids(containerd.socket).length === 0, 20_000);
});
