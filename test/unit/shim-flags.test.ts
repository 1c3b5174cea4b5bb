import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../shim/flags.ts';
import { groupOf, socketPath } from '../../shim/start.ts';

test('start as containerd 1.6 writes it, with TTRPC_ADDRESS from the environment', () => {
  const f = parseFlags(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', '-debug', 'start'], { TTRPC_ADDRESS: '/run/containerd/containerd.sock.ttrpc' });
  assert.deepEqual(f, {
    action: 'start', namespace: 'default', address: '/run/containerd/containerd.sock', publishBinary: '/usr/bin/containerd',
    id: 'c1', bundle: '', debug: true, ttrpcAddress: '/run/containerd/containerd.sock.ttrpc', socket: '', idleTimeoutMs: 0, spareWorkers: 0, grouping: 'pod',
    metricsAddress: '', metricsDiscovery: '', metricsKernelStats: false,
  });
});

test("serve takes the node's [metrics] as flags from start", () => {
  const f = parseFlags(['-namespace', 'n', '-id', 'x', '-socket', '/s', '-metrics-address', '127.0.0.1:9464', '-metrics-discovery', '', '-metrics-kernel-stats', 'serve'], {});
  assert.equal(f.metricsAddress, '127.0.0.1:9464');
  assert.equal(f.metricsDiscovery, '');
  assert.equal(f.metricsKernelStats, true);
});

test('delete with -bundle; --flag=value and --flag forms', () => {
  const f = parseFlags(['--namespace=k8s.io', '--address', '/a.sock', '-publish-binary=/bin/c', '-id', 'x', '-bundle', '/b', 'delete'], {});
  assert.equal(f.action, 'delete');
  assert.equal(f.namespace, 'k8s.io');
  assert.equal(f.bundle, '/b');
  assert.equal(f.debug, false);
});

test('-v prints the version; bad command lines are clear errors', () => {
  assert.equal(parseFlags(['-v'], {}).action, 'version');
  assert.throws(() => parseFlags(['-namespace', 'n', '-id', 'x', 'frobnicate'], {}), /unknown action "frobnicate"/);
  assert.throws(() => parseFlags(['-nope', 'x', 'start'], {}), /unknown flag -nope/);
  assert.throws(() => parseFlags(['-namespace'], {}), /flag -namespace needs a value/);
  assert.throws(() => parseFlags(['-namespace', 'n', 'start'], {}), /missing -id/);
  assert.throws(() => parseFlags(['-namespace', 'n', '-id', 'x', 'start', 'extra'], {}), /unexpected argument "extra"/);
});

test('grouping: a pod shares one socket; other containers share the node\'s ("auto", "node") or get their own ("pod"); paths stay short', () => {
  const flags = { address: '/run/containerd/containerd.sock', namespace: 'k8s.io' };
  for (const grouping of ['auto', 'pod'] as const) {
    const sandbox = groupOf('sb1', { 'io.kubernetes.cri.sandbox-id': 'sb1', 'io.kubernetes.cri.container-type': 'sandbox' }, grouping);
    const member = groupOf('c2', { 'io.kubernetes.cri.sandbox-id': 'sb1' }, grouping);
    assert.equal(socketPath(flags, sandbox), socketPath(flags, member));
    assert.notEqual(socketPath(flags, groupOf('sb2', { 'io.kubernetes.cri.sandbox-id': 'sb2' }, grouping)), socketPath(flags, member), 'another pod, another server');
    assert.notEqual(socketPath(flags, groupOf('c3', undefined, grouping)), socketPath(flags, member));
    assert.notEqual(socketPath({ ...flags, namespace: 'default' }, member), socketPath(flags, member));
    assert.ok(socketPath(flags, member).length < 100);
  }
  assert.equal(groupOf('c3', undefined, 'auto'), groupOf('c4', undefined, 'auto'), 'plain containers share the node\'s server');
  assert.notEqual(groupOf('c3', undefined, 'pod'), groupOf('c4', undefined, 'pod'), 'one server per plain container');
  assert.equal(groupOf('c3', undefined, 'node'), groupOf('c5', { 'io.kubernetes.cri.sandbox-id': 'sb1' }, 'node'), 'node: pods too');
  assert.notEqual(socketPath({ ...flags, namespace: 'default' }, groupOf('c3', undefined, 'node')), socketPath(flags, groupOf('c3', undefined, 'node')), 'one node server per namespace');
});

test('serve takes its idle timeout, spare workers and grouping as flags', () => {
  const flags = parseFlags(['-namespace', 'n', '-id', 'x', '-socket', '/s', '-grouping', 'node', '-idle-timeout', '60000', '-spare-workers', '1', 'serve'], {});
  assert.deepEqual([flags.grouping, flags.idleTimeoutMs, flags.spareWorkers], ['node', 60000, 1]);
  assert.throws(() => parseFlags(['-namespace', 'n', '-id', 'x', '-idle-timeout', '1m', 'serve'], {}), /-idle-timeout takes a whole number/);
});
