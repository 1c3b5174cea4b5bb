// The shim's metrics: the [metrics] table, the labels from a task's annotations, and the
// exposition prom-client renders from tasks' figures (the scrape itself is tested against a real
// Prometheus in integration/shim-metrics-prometheus.test.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as prom from 'prom-client';
import { DEFAULT_DISCOVERY_DIR, parseListenAddress, readMetricsSettings } from '../../shim/metrics-config.ts';
import { taskLabels } from '../../shim/task-labels.ts';
import { TaskMetricsRegistry } from '../../shim/prometheus-registry.ts';
import { ShimError } from '../../shim/errors.ts';

function configFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbmetrics-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shim.toml');
  fs.writeFileSync(file, text);
  return file;
}

test('[metrics] is off by default and takes an address, a discovery dir and kernel-stats', (t) => {
  assert.deepEqual(readMetricsSettings(undefined), { discoveryDir: DEFAULT_DISCOVERY_DIR, kernelStats: false });
  assert.deepEqual(readMetricsSettings(configFile(t, '[shim]\ngrouping = "node"\n')), { discoveryDir: DEFAULT_DISCOVERY_DIR, kernelStats: false });
  assert.deepEqual(readMetricsSettings(configFile(t, '[metrics]\naddress = "127.0.0.1:9464"\ndiscovery-dir = ""\nkernel-stats = true\n')),
    { address: '127.0.0.1:9464', discoveryDir: '', kernelStats: true });
  assert.throws(() => readMetricsSettings(configFile(t, '[metrics]\nkernel-stats = "yes"\n')), /kernel-stats must be true or false/);
});

test('[metrics] refuses unknown keys and addresses that are not host:port', (t) => {
  assert.throws(() => readMetricsSettings(configFile(t, '[metrics]\nadress = "127.0.0.1:9464"\n')), (e: unknown) => e instanceof ShimError && /unknown key metrics.adress/.test(e.message));
  assert.throws(() => readMetricsSettings(configFile(t, '[metrics]\naddress = "9464"\n')), /not host:port/);
  assert.deepEqual(parseListenAddress('[::1]:9464', 'x'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListenAddress('localhost:0', 'x'), { host: 'localhost', port: 0 });
  assert.throws(() => parseListenAddress('127.0.0.1:70000', 'x'), /not host:port/);
});

test('a CRI task is labelled with its pod, Kubernetes namespace and container name; a plain one by its id', () => {
  assert.deepEqual(taskLabels('abc', {
    'io.kubernetes.cri.sandbox-name': 'web-1', 'io.kubernetes.cri.sandbox-namespace': 'prod', 'io.kubernetes.cri.container-name': 'tracer',
  }, 'k8s.io'), { containerd_namespace: 'k8s.io', container_id: 'abc', container: 'tracer', pod: 'web-1', namespace: 'prod' });
  assert.deepEqual(taskLabels('mytool', {}, 'default'), { containerd_namespace: 'default', container_id: 'mytool', container: 'mytool', pod: '', namespace: '' });
});

test("the exposition carries each task's figures with its labels; a task no longer listed leaves no series", async () => {
  const registry = new TaskMetricsRegistry(prom);
  const labels = taskLabels('t1', {}, 'default');
  registry.update([{
    labels,
    usage: { cpuUserNs: 2e9, cpuSystemNs: 5e8, wasmMemoryBytes: 131072, heapUsedBytes: 1000, heapLimitBytes: 0 },
    stats: {
      hostCalls: { map_operate: 5 },
      buffers: [{ map: 'events', kind: 'perf', delivered: 10, lost: 3 }, { map: 'rb', kind: 'ringbuf', delivered: 4 }],
      programs: [{ name: 'handle', id: 77, runCount: 9, runTimeNs: 4500, verifiedInsns: 120 }],
      maps: [{ name: 'events', id: 8, type: 4, memoryBytes: 328 }],
      kernelStats: true,
    },
  }]);
  const text = await registry.metrics();
  const l = 'containerd_namespace="default",container_id="t1",container="t1",pod="",namespace=""';
  for (const line of [
    'wasmbpf_tasks 1',
    `wasmbpf_task_cpu_seconds_total{${l},mode="user"} 2`,
    `wasmbpf_task_cpu_seconds_total{${l},mode="system"} 0.5`,
    `wasmbpf_task_wasm_memory_bytes{${l}} 131072`,
    `wasmbpf_buffer_records_delivered_total{${l},map="events",kind="perf"} 10`,
    `wasmbpf_buffer_records_lost_total{${l},map="events",kind="perf"} 3`,
    `wasmbpf_buffer_records_delivered_total{${l},map="rb",kind="ringbuf"} 4`,
    `wasmbpf_host_calls_total{${l},kind="map_operate"} 5`,
    `wasmbpf_program_runs_total{${l},program="handle",program_id="77"} 9`,
    `wasmbpf_program_run_time_seconds_total{${l},program="handle",program_id="77"} 0.0000045`,
    `wasmbpf_program_verified_instructions{${l},program="handle",program_id="77"} 120`,
    `wasmbpf_map_memory_bytes{${l},map="events",map_id="8",map_type="perf_event_array"} 328`,
    `wasmbpf_kernel_stats_enabled{${l}} 1`,
  ]) assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  assert.ok(!/records_lost_total\{[^}]*map="rb"/.test(text), 'a ring buffer has no lost series');
  registry.update([]);
  const after = await registry.metrics();
  assert.ok(after.split('\n').includes('wasmbpf_tasks 0'));
  assert.ok(!after.includes('container_id="t1"'));
});

test("two servers configured with one port: the second takes a free port on the same host; both are listed for file_sd until they close", async (t) => {
  const { startMetricsEndpoint } = await import('../../shim/metrics-endpoint.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbmsd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = { debug() {}, info() {}, warn() {}, error() {}, with() { return log; } };
  const common = { address: '127.0.0.1:0', discoveryDir: dir, containerdNamespace: 'default', tasks: () => [], log: log as never };
  const first = await startMetricsEndpoint({ ...common, serverName: 'a' });
  t.after(() => first.close());
  const second = await startMetricsEndpoint({ ...common, address: first.address, serverName: 'b' });
  t.after(() => second.close());
  assert.notEqual(second.address, first.address);
  assert.match(second.address, /^127\.0\.0\.1:\d+$/);
  const listed = fs.readdirSync(dir).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { targets: string[] }[]);
  assert.deepEqual(listed.map((l) => l[0]!.targets), [[first.address], [second.address]]);
  const res = await fetch(`http://${second.address}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(await res.text(), /^wasmbpf_tasks 0$/m);
  assert.equal((await fetch(`http://${second.address}/other`)).status, 404);
  await second.close();
  await first.close();
  assert.deepEqual(fs.readdirSync(dir), [], 'closing removes the lists');
  await assert.rejects(fetch(`http://${first.address}/metrics`), 'nothing listens after close');
});

test('nothing on the shim start or serve path imports prom-client statically (only metrics-endpoint.ts, dynamically)', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
      const spec = m[1]!;
      assert.ok(!spec.startsWith('prom-client'), `${path.relative(root, file)} imports prom-client statically`);
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
    }
  };
  // shim/cli.ts imports start.ts and serve.ts dynamically, and serve.ts the runtime: each a root.
  for (const f of ['shim/main.ts', 'shim/start.ts', 'shim/serve.ts', 'runtime/index.ts']) visit(path.join(root, f));
  assert.ok(seen.has(path.join(root, 'shim', 'task-service.ts')), 'the walk followed static imports');
  assert.ok(!seen.has(path.join(root, 'shim', 'metrics-endpoint.ts')), 'metrics-endpoint.ts is only imported dynamically');
});
