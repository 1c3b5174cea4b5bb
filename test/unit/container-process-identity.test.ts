import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCapabilityMode, taskCapabilities, withSpecCapabilities } from '../../container/process-identity.ts';
import { checkMapType, checkProgramType, PolicyError } from '../../runtime/policy.ts';

const caps = (granted: string[]) => ({ capabilities: { granted, source: 'the test\'s set' } });

test('capabilities cap eBPF as the kernel would: CAP_BPF for any, CAP_PERFMON for tracing, CAP_NET_ADMIN for xdp/tc; CAP_SYS_ADMIN for all', () => {
  const refused = (policy: object, section: string, cap: string) =>
    assert.throws(() => checkProgramType(policy, 'p', section), (e: unknown) => e instanceof PolicyError && e.errno === 1 && e.message.includes(`needs ${cap} (or CAP_SYS_ADMIN)`) && e.message.includes('the test\'s set'), `${section} without ${cap}`);
  refused(caps([]), 'tp/sched/x', 'CAP_BPF');
  assert.throws(() => checkMapType(caps([]), 'events', 27), /map 'events' needs CAP_BPF/);
  refused(caps(['CAP_BPF']), 'kprobe/do_exit', 'CAP_PERFMON');
  refused(caps(['CAP_BPF', 'CAP_PERFMON']), 'xdp', 'CAP_NET_ADMIN');
  refused(caps(['CAP_BPF', 'CAP_PERFMON']), 'tc', 'CAP_NET_ADMIN');
  refused(caps(['CAP_BPF', 'CAP_NET_ADMIN']), 'fentry/do_exit', 'CAP_PERFMON');
  checkProgramType(caps(['CAP_BPF', 'CAP_PERFMON']), 'p', 'tp/sched/x');
  checkProgramType(caps(['CAP_BPF', 'CAP_NET_ADMIN']), 'p', 'xdp');
  checkProgramType(caps(['CAP_BPF']), 'p', 'socket');
  for (const section of ['tp/sched/x', 'xdp', 'tc', 'uprobe/x']) checkProgramType(caps(['CAP_SYS_ADMIN']), 'p', section);
  checkProgramType({}, 'p', 'xdp'); // no capabilities in the policy: no such ceiling
});

test('the set that counts: root\'s bounding set, another uid\'s ambient set; none in the spec: no ceiling', () => {
  const all = { bounding: ['CAP_BPF', 'CAP_PERFMON'], effective: ['CAP_BPF'], ambient: [] };
  assert.deepEqual(taskCapabilities({ capabilities: all })?.granted, ['CAP_BPF', 'CAP_PERFMON']);
  assert.deepEqual(taskCapabilities({ user: { uid: 0 }, capabilities: { effective: ['CAP_BPF'] } })?.granted, ['CAP_BPF']);
  const user = taskCapabilities({ user: { uid: 1000 }, capabilities: all });
  assert.deepEqual(user?.granted, []);
  assert.match(user!.source, /ambient set .*uid 1000/);
  assert.equal(taskCapabilities({ user: { uid: 1000 } }), undefined);
});

test('[process] capabilities: "non-root" (default) caps tasks of another uid, "ceiling" every task, "ignore" none; anything else refuses the task', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimcaps-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const on = file('on.toml', '[process]\ncapabilities = "ceiling"\n');
  const off = file('off.toml', '[process]\ncapabilities = "ignore"\n');
  assert.equal(readCapabilityMode(undefined), 'non-root');
  assert.equal(readCapabilityMode(file('none.toml', '[shim]\ngrouping = "pod"\n')), 'non-root');
  assert.equal(readCapabilityMode(on), 'ceiling');
  assert.equal(readCapabilityMode(off), 'ignore');
  assert.throws(() => readCapabilityMode(file('bad.toml', '[process]\ncapabilities = "yes"\n')), /process\.capabilities must be "non-root", "ceiling" or "ignore", not "yes"/);
  assert.throws(() => readCapabilityMode(file('typo.toml', '[process]\ncapabilites = "ceiling"\n')), /unknown key process\.capabilites/);
  const spec = { user: { uid: 0 }, capabilities: { bounding: ['CAP_KILL'] } };
  assert.deepEqual(withSpecCapabilities({ programTypes: ['kprobe'] }, spec, on), { programTypes: ['kprobe'], capabilities: { granted: ['CAP_KILL'], source: 'the bounding set of the OCI spec\'s process (uid 0)' } });
  assert.deepEqual(withSpecCapabilities({ programTypes: ['kprobe'] }, spec, undefined), { programTypes: ['kprobe'] }, 'root, default mode: no ceiling');
  const user = { user: { uid: 1000 }, capabilities: { bounding: ['CAP_BPF'], ambient: [] } };
  assert.deepEqual(withSpecCapabilities({}, user, undefined).capabilities?.granted, [], 'uid 1000, default mode: its ambient set');
  assert.deepEqual(withSpecCapabilities({}, user, off), {}, 'ignore: none');
});

test('a raw socket needs CAP_NET_RAW under the ceiling, and nothing without one', async () => {
  const { checkRawSocket } = await import('../../runtime/policy.ts');
  assert.throws(() => checkRawSocket(caps(['CAP_BPF', 'CAP_SYS_ADMIN'])), (e: unknown) => e instanceof PolicyError && /a raw socket needs CAP_NET_RAW/.test(e.message));
  checkRawSocket(caps(['CAP_NET_RAW']));
  checkRawSocket({});
});
