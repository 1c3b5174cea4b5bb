// The containerd config edit of `wasmbpf install` / `uninstall` on sample configs: fresh, empty,
// already installed, with other runtimes, containerd's own default config, version 1 and 3,
// unparsable; install is idempotent and uninstall gives back the original byte for byte.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import type { TomlTable } from 'smol-toml';
import { addWasmbpfRuntime, removeWasmbpfRuntime, RUNTIME_TYPE } from '../../cli/install/containerd-config.ts';
import { InstallError } from '../../cli/install/errors.ts';

const FILE = '/etc/containerd/config.toml';

function criRuntimes(text: string, plugin = 'io.containerd.grpc.v1.cri'): Record<string, { runtime_type?: string }> {
  const t = parse(text) as TomlTable;
  const plugins = t.plugins as TomlTable;
  const cri = plugins[plugin] as TomlTable;
  return (cri.containerd as TomlTable).runtimes as Record<string, { runtime_type?: string }>;
}

/** install, check, install again (no change), uninstall: must give back `original` exactly. */
function roundTrip(original: string): string {
  const added = addWasmbpfRuntime(original, FILE);
  assert.equal(added.changed, true);
  assert.ok(added.text !== null && added.text.startsWith(original), 'the original text stays in front, untouched');
  assert.equal(criRuntimes(added.text).wasmbpf?.runtime_type, RUNTIME_TYPE);
  const again = addWasmbpfRuntime(added.text, FILE);
  assert.equal(again.changed, false);
  assert.equal(again.text, added.text);
  assert.match(again.notes.join('\n'), /already has the wasmbpf runtime/);
  const removed = removeWasmbpfRuntime(added.text, FILE);
  assert.equal(removed.changed, true);
  assert.equal(removed.text, original, 'uninstall restores the original byte for byte');
  return added.text;
}

function assertInstallError(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InstallError, `expected an InstallError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

const WITH_RUNTIMES = `# containerd config, maintained by hand
version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.9"   # keep in sync with kubeadm
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = true
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
        runtime_type = "io.containerd.kata.v2"
`;

test('a missing config becomes a minimal version 2 config, and uninstall deletes it again', () => {
  const added = addWasmbpfRuntime(null, FILE);
  assert.equal(added.changed, true);
  assert.ok(added.text);
  const t = parse(added.text);
  assert.equal(t.version, 2);
  assert.equal(criRuntimes(added.text).wasmbpf?.runtime_type, RUNTIME_TYPE);
  assert.match(added.notes.join('\n'), /does not exist/);
  assert.equal(addWasmbpfRuntime(added.text, FILE).changed, false, 'idempotent');
  const removed = removeWasmbpfRuntime(added.text, FILE);
  assert.equal(removed.changed, true);
  assert.equal(removed.text, null, 'the file install created is deleted');
});

test('a config with other runtimes keeps them, its comments and its formatting', () => {
  const text = roundTrip(WITH_RUNTIMES);
  const rts = criRuntimes(text);
  assert.deepEqual(Object.keys(rts).sort(), ['kata', 'runc', 'wasmbpf']);
  assert.equal(rts.runc?.runtime_type, 'io.containerd.runc.v2');
  assert.ok(text.includes('# keep in sync with kubeadm'));
  const t = parse(text) as TomlTable;
  const wasmbpf = criRuntimes(text).wasmbpf as unknown as TomlTable;
  assert.deepEqual(wasmbpf.pod_annotations, ['wasmbpf.io/*'], 'the policy annotations reach the shim');
  assert.deepEqual(wasmbpf.container_annotations, ['wasmbpf.io/*']);
  assert.equal(((t.plugins as TomlTable)['io.containerd.grpc.v1.cri'] as TomlTable).sandbox_image, 'registry.k8s.io/pause:3.9');
});

test('files without a final newline, with trailing blank lines, empty or comments only round-trip exactly', () => {
  roundTrip('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:1"');
  roundTrip('version = 2\n\n\n');
  roundTrip('version = 2\r\n[grpc]\r\n  address = "/run/c.sock"\r\n');
  // No keys at all: containerd would read it as version 1, so the block carries `version = 2`.
  const empty = roundTrip('');
  assert.equal(parse(empty).version, 2);
  const comments = roundTrip('# just a comment\n');
  assert.equal(parse(comments).version, 2);
});

test("containerd's own default config (`containerd config default`) takes the runtime and gives it back", (t) => {
  const r = spawnSync('containerd', ['config', 'default'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    t.skip(`containerd is not runnable here (${r.error?.message ?? r.stderr}); the Debian package containerd provides it`);
    return;
  }
  const text = roundTrip(r.stdout);
  assert.ok(criRuntimes(text).runc, 'runc stays');
});

test('version 3 (containerd 2.x) configs use the io.containerd.cri.v1.runtime plugin', () => {
  const original = 'version = 3\n\n[plugins."io.containerd.cri.v1.runtime".containerd]\n  default_runtime_name = "runc"\n';
  const added = addWasmbpfRuntime(original, FILE);
  assert.ok(added.text);
  assert.equal(criRuntimes(added.text, 'io.containerd.cri.v1.runtime').wasmbpf?.runtime_type, RUNTIME_TYPE);
  assert.equal(removeWasmbpfRuntime(added.text, FILE).text, original);
});

test('version 1 configs, explicit or implied, fail with a clear error and the hand-made snippet', () => {
  assertInstallError(() => addWasmbpfRuntime('version = 1\n[plugins.cri]\n', FILE), 'WASMBPF_CONTAINERD_CONFIG_VERSION', /version = 1.*version 2.*plugins\.cri\.containerd\.runtimes\.wasmbpf/s);
  assertInstallError(() => addWasmbpfRuntime('[plugins.cri]\n  sandbox_image = "x"\n', FILE), 'WASMBPF_CONTAINERD_CONFIG_VERSION', /no `version` key.*version 1/s);
});

test('an unparsable config fails with the file and the position', () => {
  assertInstallError(() => addWasmbpfRuntime('version = 2\n[plugins\n', FILE), 'WASMBPF_CONTAINERD_CONFIG_PARSE', /\/etc\/containerd\/config\.toml is not valid TOML \(line 2.*nothing was changed/);
});

test('a runtime named wasmbpf of another type is a conflict; a hand-written one of ours is left alone', () => {
  const foreign = `${WITH_RUNTIMES}      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmbpf]\n        runtime_type = "io.containerd.other.v1"\n`;
  assertInstallError(() => addWasmbpfRuntime(foreign, FILE), 'WASMBPF_CONTAINERD_CONFIG_CONFLICT', /already has a CRI runtime named "wasmbpf".*io\.containerd\.other\.v1/);

  const byHand = `${WITH_RUNTIMES}      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmbpf]\n        runtime_type = "${RUNTIME_TYPE}"\n`;
  const added = addWasmbpfRuntime(byHand, FILE);
  assert.equal(added.changed, false);
  assert.equal(added.text, byHand);
  const removed = removeWasmbpfRuntime(byHand, FILE);
  assert.equal(removed.changed, false);
  assert.match(removed.notes.join('\n'), /outside the wasmbpf block.*leaving it/);
});

test('a CRI plugin written as inline tables cannot take an appended table: clear error, the snippet to add', () => {
  const inline = 'version = 2\n[plugins]\n"io.containerd.grpc.v1.cri" = { containerd = { runtimes = { runc = { runtime_type = "io.containerd.runc.v2" } } } }\n';
  assertInstallError(() => addWasmbpfRuntime(inline, FILE), 'WASMBPF_CONTAINERD_CONFIG_EDIT', /invalid TOML.*runtime_type = "io\.containerd\.wasmbpf\.v1"/s);
});

test('a disabled CRI plugin is pointed out', () => {
  const added = addWasmbpfRuntime('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n', FILE);
  assert.equal(added.changed, true);
  assert.match(added.notes.join('\n'), /disabled_plugins.*Kubernetes cannot use handler "wasmbpf"/);
});

test('an outdated wasmbpf block is rewritten in place; text after it stays', () => {
  const added = addWasmbpfRuntime(WITH_RUNTIMES, FILE).text;
  assert.ok(added);
  const old = added.replace(/  container_annotations = .*\n/, '');
  const after = `${old}\n[grpc]\n  address = "/run/containerd/containerd.sock"\n`;
  const updated = addWasmbpfRuntime(after, FILE);
  assert.equal(updated.changed, true);
  assert.equal(updated.text, `${added}\n[grpc]\n  address = "/run/containerd/containerd.sock"\n`);
  // Uninstall with user text after the block removes only the block.
  const removed = removeWasmbpfRuntime(updated.text, FILE);
  assert.equal(removed.text, `${WITH_RUNTIMES}\n[grpc]\n  address = "/run/containerd/containerd.sock"\n`);
  assert.ok(removed.text && parse(removed.text));
});

test('broken markers are reported, not guessed at', () => {
  const added = addWasmbpfRuntime(WITH_RUNTIMES, FILE).text;
  assert.ok(added);
  assertInstallError(() => removeWasmbpfRuntime(added.replace('# END wasmbpf\n', ''), FILE), 'WASMBPF_CONTAINERD_CONFIG_EDIT', /BEGIN marker but no "# END wasmbpf"/);
  assertInstallError(() => removeWasmbpfRuntime(added + added.slice(WITH_RUNTIMES.length), FILE), 'WASMBPF_CONTAINERD_CONFIG_EDIT', /twice/);
});

test('uninstall on a config without the block or without a file changes nothing', () => {
  const r = removeWasmbpfRuntime(WITH_RUNTIMES, FILE);
  assert.equal(r.changed, false);
  assert.equal(r.text, WITH_RUNTIMES);
  const none = removeWasmbpfRuntime(null, FILE);
  assert.equal(none.changed, false);
  assert.match(none.notes.join('\n'), /does not exist/);
});

// Debian's packaged /etc/containerd/config.toml: CNI paths only, no runtimes of its own.
const DEBIAN_DEFAULT = `version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
`;

function streamProcessors(text: string): TomlTable {
  return (parse(text) as TomlTable).stream_processors as TomlTable;
}

test('a config that names no runtime keeps runc: containerd would otherwise drop its built-in runtimes', () => {
  const text = roundTrip(DEBIAN_DEFAULT);
  const rts = criRuntimes(text);
  assert.deepEqual(Object.keys(rts).sort(), ['runc', 'wasmbpf']);
  assert.equal(rts.runc?.runtime_type, 'io.containerd.runc.v2');
  // A config with runtimes of its own gets no second runc.
  assert.deepEqual(Object.keys(criRuntimes(roundTrip(WITH_RUNTIMES))).sort(), ['kata', 'runc', 'wasmbpf']);
  const fresh = addWasmbpfRuntime(null, FILE).text;
  assert.ok(fresh);
  assert.ok(criRuntimes(fresh).runc, 'a created config keeps runc too');
});

test('the stream processor for artifact layers is added once, and not when the config has it', () => {
  const text = roundTrip(WITH_RUNTIMES);
  const sp = streamProcessors(text)['io.containerd.wasmbpf.layer.v1'] as TomlTable;
  assert.ok(sp, 'stream processor added');
  assert.equal(sp.returns, 'application/vnd.oci.image.layer.v1.tar');
  const withSp = `${WITH_RUNTIMES}\n[stream_processors."io.containerd.wasmbpf.layer.v1"]\n  accepts = ["x"]\n  returns = "application/vnd.oci.image.layer.v1.tar"\n  path = "/bin/true"\n`;
  const added = roundTrip(withSp);
  assert.deepEqual((streamProcessors(added)['io.containerd.wasmbpf.layer.v1'] as TomlTable).accepts, ['x'], "the operator's own stays");
});

test('a runc table the operator adds after install is resolved by rewriting our block, not reported as broken', () => {
  const installed = addWasmbpfRuntime(DEBIAN_DEFAULT, FILE).text;
  assert.ok(installed);
  const edited = `${installed}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n`;
  assert.throws(() => parse(edited), 'the duplicate runc table makes the file invalid until the block is rewritten');
  const fixed = addWasmbpfRuntime(edited, FILE);
  assert.equal(fixed.changed, true);
  assert.ok(fixed.text);
  assert.equal(criRuntimes(fixed.text).runc?.runtime_type, 'io.containerd.runc.v2');
  assert.equal(addWasmbpfRuntime(fixed.text, FILE).changed, false);
});

test('a default runtime the config does not define is reported before anything is written', () => {
  const broken = `${WITH_RUNTIMES.replace('default_runtime_name = "runc"', 'default_runtime_name = "crun"')}`;
  assertInstallError(() => addWasmbpfRuntime(broken, FILE), 'WASMBPF_CONTAINERD_CONFIG_EDIT', /default_runtime_name = "crun".*no runtime of that name/);
});

test('uninstall refuses to remove the runc it added when runtimes were added by hand since', () => {
  const installed = addWasmbpfRuntime(DEBIAN_DEFAULT, FILE).text;
  assert.ok(installed);
  const withKata = `${installed}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n  runtime_type = "io.containerd.kata.v2"\n`;
  assertInstallError(() => removeWasmbpfRuntime(withKata, FILE), 'WASMBPF_CONTAINERD_CONFIG_EDIT', /without "runc", the default runtime.*Nothing was changed/);
});
