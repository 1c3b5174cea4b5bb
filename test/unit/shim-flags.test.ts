import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../shim/flags.ts';
import { groupOf, socketPath } from '../../shim/start.ts';

test('start as containerd 1.6 writes it, with TTRPC_ADDRESS from the environment', () => {
  const f = parseFlags(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', '-debug', 'start'], { TTRPC_ADDRESS: '/run/containerd/containerd.sock.ttrpc' });
  assert.deepEqual(f, {
    action: 'start', namespace: 'default', address: '/run/containerd/containerd.sock', publishBinary: '/usr/bin/containerd',
    id: 'c1', bundle: '', debug: true, ttrpcAddress: '/run/containerd/containerd.sock.ttrpc', socket: '',
  });
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

test('a pod shares one socket; other containers and namespaces get their own; paths stay short', () => {
  const flags = { address: '/run/containerd/containerd.sock', namespace: 'k8s.io' };
  const sandbox = groupOf('sb1', { 'io.kubernetes.cri.sandbox-id': 'sb1', 'io.kubernetes.cri.container-type': 'sandbox' });
  const member = groupOf('c2', { 'io.kubernetes.cri.sandbox-id': 'sb1' });
  assert.equal(socketPath(flags, sandbox), socketPath(flags, member));
  assert.notEqual(socketPath(flags, groupOf('c3', undefined)), socketPath(flags, member));
  assert.notEqual(socketPath({ ...flags, namespace: 'default' }, member), socketPath(flags, member));
  assert.ok(socketPath(flags, member).length < 100);
});
