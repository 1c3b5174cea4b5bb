// Every YAML file in manifests/ parses, and every object in it is valid against the Kubernetes
// OpenAPI schema of its kind and version (kubernetes-models' generated validators); the
// kustomization lists every manifest; the pieces agree with each other (RuntimeClass handler,
// the handler `wasmbpf install` configures, the installer's mounts and service account).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { RuntimeClass } from 'kubernetes-models/node.k8s.io/v1/RuntimeClass';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { CRI_HANDLER } from '../../cli/install/containerd-config.ts';

const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));

/** The kinds manifests/ may hold. A new kind must be added here, with its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Pod': Pod,
  'apps/v1/DaemonSet': DaemonSet,
  'node.k8s.io/v1/RuntimeClass': RuntimeClass,
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function load(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    assert.deepEqual(d.errors.map((e) => e.message), [], `${file}: YAML errors`);
    assert.deepEqual(d.warnings.map((e) => e.message), [], `${file}: YAML warnings`);
    const v: unknown = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function objects(): { file: string; obj: K8sObject }[] {
  return yamlFiles(MANIFESTS)
    .filter((f) => !/kustomization\.ya?ml$/.test(f))
    .flatMap((file) => load(file).map((obj) => ({ file, obj: obj as K8sObject })));
}

function find(kind: string, name: string): K8sObject {
  const o = objects().find(({ obj }) => obj.kind === kind && obj.metadata.name === name);
  assert.ok(o, `manifests/ has no ${kind} ${name}`);
  return o.obj;
}

test('every object in manifests/ is valid against the OpenAPI schema of its kind and version', () => {
  const all = objects();
  assert.ok(all.length >= 6, `expected the installer and example objects, found ${all.length}`);
  for (const { file, obj } of all) {
    const where = `${relative(MANIFESTS, file)}: ${obj.kind} ${obj.metadata?.name}`;
    const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
    assert.ok(Model, `${where}: no schema for ${obj.apiVersion} ${obj.kind} (add it to MODELS)`);
    assert.doesNotThrow(() => new Model(obj as never).validate(), where);
    assert.match(obj.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${where}: name is not a DNS label`);
  }
});

test('the schema check is real: a broken object fails it', () => {
  const pod = structuredClone(find('Pod', 'execsnoop')) as unknown as { spec: { containers: unknown } };
  pod.spec.containers = 'execsnoop';
  assert.throws(() => new Pod(pod as never).validate(), /containers must be array/);
  const rc = structuredClone(find('RuntimeClass', 'wasmbpf')) as unknown as Record<string, unknown>;
  delete rc.handler;
  assert.throws(() => new RuntimeClass(rc as never).validate(), /handler/);
});

test('the kustomization lists every manifest, in an order that creates what pods name first', () => {
  const [k] = load(join(MANIFESTS, 'kustomization.yaml')) as { apiVersion: string; kind: string; resources: string[]; sortOptions?: { order: string } }[];
  assert.ok(k);
  assert.equal(k.apiVersion, 'kustomize.config.k8s.io/v1beta1');
  assert.equal(k.kind, 'Kustomization');
  const listed = [...k.resources].sort();
  const files = yamlFiles(MANIFESTS)
    .map((f) => relative(MANIFESTS, f))
    .filter((f) => f !== 'kustomization.yaml')
    .sort();
  assert.deepEqual(listed, files);
  assert.equal(k.sortOptions?.order, 'fifo');
  const firstPod = k.resources.findIndex((r) => r.startsWith('examples/'));
  for (const before of ['namespace.yaml', 'service-account.yaml', 'runtime-class.yaml']) {
    assert.ok(k.resources.indexOf(before) < firstPod, `${before} comes before the example pods`);
  }
});

test('RuntimeClass wasmbpf names the handler `wasmbpf install` configures; the examples use it', () => {
  const rc = find('RuntimeClass', 'wasmbpf') as K8sObject & { handler: string; overhead?: { podFixed?: Record<string, string> } };
  assert.equal(rc.handler, CRI_HANDLER);
  // The pod's shim server is charged to the pod: its fixed cost is declared, so the kubelet's pod limit covers it.
  assert.deepEqual(rc.overhead?.podFixed, { memory: '112Mi', cpu: '10m' });
  const pod = find('Pod', 'execsnoop') as K8sObject & { spec: { runtimeClassName: string; containers: { image: string }[] } };
  assert.equal(pod.spec.runtimeClassName, 'wasmbpf');
  assert.equal(pod.spec.containers[0]?.image, 'registry.example.com/wasmbpf/execsnoop:0.1');
  const ds = find('DaemonSet', 'execsnoop') as K8sObject & { spec: { template: { spec: { runtimeClassName: string }; metadata: { annotations: Record<string, string> } } } };
  assert.equal(ds.spec.template.spec.runtimeClassName, 'wasmbpf');
  for (const annotations of [pod.metadata.annotations ?? {}, ds.spec.template.metadata.annotations]) {
    for (const knob of ['wasmbpf.io/allowed-program-types', 'wasmbpf.io/allowed-attach-targets', 'wasmbpf.io/allowed-map-types']) {
      assert.ok(annotations[knob], `policy annotation ${knob} is documented on the examples`);
    }
  }
});

test('the node installer runs as its own token-less service account with the host paths it writes', () => {
  type Spec = {
    serviceAccountName: string;
    automountServiceAccountToken: boolean;
    containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
    volumes: { name: string; hostPath: { path: string } }[];
  };
  const ds = find('DaemonSet', 'wasmbpf-node-installer') as K8sObject & { spec: { template: { spec: Spec } } };
  assert.equal(ds.metadata.namespace, 'wasmbpf-system');
  const spec = ds.spec.template.spec;
  const sa = find('ServiceAccount', spec.serviceAccountName);
  assert.equal(sa.metadata.namespace, 'wasmbpf-system');
  assert.equal((sa as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken, false);
  assert.equal(spec.automountServiceAccountToken, false);
  assert.ok(!objects().some(({ obj }) => /Role|Binding/.test(obj.kind)), 'no RBAC: the installer never calls the API');

  const c = spec.containers[0];
  assert.ok(c);
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  const hostPathOf = (containerPath: string) => {
    const m = c.volumeMounts.filter((v) => containerPath === v.mountPath || containerPath.startsWith(`${v.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    assert.ok(m, `${containerPath} is on a mounted volume`);
    const vol = spec.volumes.find((v) => v.name === m.name);
    assert.ok(vol?.hostPath, `${m.name} is a hostPath volume`);
    return vol.hostPath.path + containerPath.slice(m.mountPath.length);
  };
  assert.equal(hostPathOf(env.WASMBPF_BIN_DIR ?? ''), '/usr/local/bin');
  assert.equal(hostPathOf(env.WASMBPF_CONTAINERD_CONFIG ?? ''), '/etc/containerd/config.toml');
  // The shim reads its node file (with the [verify] table install writes) from the node's /etc/wasmbpf.
  assert.equal(hostPathOf(env.WASMBPF_NODE_CONFIG ?? ''), '/etc/wasmbpf/shim.toml');
  assert.equal(env.WASMBPF_REQUIRE_SIGNATURES, 'false', 'unsigned images run unless the admin flips the switch');
  // The launcher names the installation by its path inside the container, which must be the
  // node's path too.
  assert.equal(hostPathOf(env.WASMBPF_INSTALL_DIR ?? ''), env.WASMBPF_INSTALL_DIR);

  const ns = find('Namespace', 'wasmbpf-system');
  assert.equal((ns.metadata as { labels?: Record<string, string> }).labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
});
