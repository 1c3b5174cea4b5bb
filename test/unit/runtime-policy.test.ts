// The eBPF policy model: section names to program types, attach requests to attach targets, annotation parsing,
// and capping a module's request by the node's policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttachKind, attachTarget, autoAttachTarget, compatAttachRequest } from '../../runtime/wasm/abi/attach-kinds.ts';
import { capPolicy, checkAttachTarget, checkMapType, checkProgramType, DEFAULT_NODE_POLICY, policyFromAnnotations, policyFromConfig, programTypeOf } from '../../runtime/policy.ts';

test('program types come from the libbpf section prefix, aliases folded', () => {
  assert.equal(programTypeOf('tracepoint/sched/sched_process_exec'), 'tracepoint');
  assert.equal(programTypeOf('tp/syscalls/sys_enter_openat'), 'tracepoint');
  assert.equal(programTypeOf('kretprobe/do_unlinkat'), 'kprobe');
  assert.equal(programTypeOf('uretprobe//bin/bash:readline'), 'uprobe');
  assert.equal(programTypeOf('xdp.frags'), 'xdp');
  assert.equal(programTypeOf('classifier'), 'tc');
  assert.equal(programTypeOf('tp_btf/sched_wakeup'), 'tp_btf');
});

test('auto-attach targets in policy notation', () => {
  assert.equal(autoAttachTarget('tracepoint/sched/sched_process_exec'), 'tracepoint:sched/sched_process_exec');
  assert.equal(autoAttachTarget('uprobe//usr/bin/x:main'), 'uprobe:/usr/bin/x:main');
  assert.equal(autoAttachTarget('perf_event'), 'perf_event');
});

test('wasm_attach_bpf_program targets choose the attach kind by section prefix', () => {
  assert.deepEqual(compatAttachRequest('xdp', 'eth0'), { kind: AttachKind.XDP, target: 'eth0' });
  assert.deepEqual(compatAttachRequest('tc/egress', 'eth0'), { kind: AttachKind.TC_EGRESS, target: 'eth0' });
  assert.deepEqual(compatAttachRequest('classifier', 'eth0'), { kind: AttachKind.TC_INGRESS, target: 'eth0' });
  assert.deepEqual(compatAttachRequest('sockops', '/sys/fs/cgroup'), { kind: AttachKind.CGROUP, target: '/sys/fs/cgroup' });
  assert.deepEqual(compatAttachRequest('kprobe/do_exit', 'ignored'), { kind: AttachKind.AUTO }, 'other sections auto-attach');
  assert.deepEqual(compatAttachRequest('xdp', undefined), { kind: AttachKind.AUTO });
});

test('attach requests reach targets in policy notation; only auto-attach reads the section', () => {
  const noSection = () => assert.fail('the section is not needed');
  assert.equal(attachTarget({ kind: AttachKind.URETPROBE, target: '/bin/bash', func: 'readline' }, noSection), 'uprobe:/bin/bash:readline');
  assert.equal(attachTarget({ kind: AttachKind.UPROBE, target: '/bin/x', offset: 16n }, noSection), 'uprobe:/bin/x:+16');
  assert.equal(attachTarget({ kind: AttachKind.TC_EGRESS, target: 'eth0' }, noSection), 'interface:eth0');
  assert.equal(attachTarget({ kind: AttachKind.KRETPROBE, target: 'do_exit' }, noSection), 'kprobe:do_exit');
  assert.equal(attachTarget({ kind: AttachKind.TRACEPOINT, target: 'sched:sched_switch' }, noSection), 'tracepoint:sched/sched_switch');
  assert.equal(attachTarget({ kind: AttachKind.SOCKET, fd: 5 }, noSection), 'socket');
  assert.equal(attachTarget({ kind: AttachKind.AUTO }, () => 'tp/sched/sched_switch'), 'tracepoint:sched/sched_switch');
});

test('annotations become lists; absent annotations allow everything', () => {
  const p = policyFromAnnotations({ 'wasmbpf.io/allowed-program-types': 'tracepoint, tp_btf', 'wasmbpf.io/allowed-map-types': 'ringbuf' });
  assert.deepEqual(p, { programTypes: ['tracepoint', 'tp_btf'], mapTypes: ['ringbuf'] });
  assert.doesNotThrow(() => checkAttachTarget(p, 'x', 'kprobe:anything'));
});

test('checks fail with EPERM and name the rule', () => {
  const p = { programTypes: ['tracepoint'], attachTargets: ['tracepoint:sched/*'], mapTypes: ['ringbuf', 'hash'] };
  assert.throws(() => checkProgramType(p, 'handle', 'kprobe/do_exit'), (e: Error & { errno?: number }) =>
    e.errno === 1 && /program 'handle' is of type 'kprobe'.*wasmbpf.io\/allowed-program-types=tracepoint/.test(e.message));
  assert.doesNotThrow(() => checkAttachTarget(p, 'h', 'tracepoint:sched/sched_process_exec'));
  assert.throws(() => checkAttachTarget(p, 'h', 'tracepoint:syscalls/sys_enter_openat'), /may not attach to 'tracepoint:syscalls\/sys_enter_openat'/);
  assert.throws(() => checkMapType(p, 'counts', 6), /map 'counts' is a percpu_array/);
  assert.doesNotThrow(() => checkMapType(p, 'tool.rodata', 2), 'globals are always allowed');
});

test('a module can only narrow what the node allows', () => {
  const node = { programTypes: ['tracepoint', 'tp_btf'], attachTargets: ['tracepoint:*'] };
  assert.deepEqual(capPolicy({ programTypes: ['tracepoint', 'kprobe'] }, node), { programTypes: ['tracepoint'], attachTargets: ['tracepoint:*'] });
  assert.deepEqual(capPolicy({}, node), node);
  assert.deepEqual(capPolicy({ mapTypes: ['hash'] }, {}), { mapTypes: ['hash'] });
});

test('a policy file: the [policy] table\'s lists, nothing else accepted', () => {
  assert.deepEqual(policyFromConfig({ policy: { 'allowed-program-types': ['tracepoint'], 'allowed-map-types': ['ringbuf'] } }, 'p.toml'),
    { programTypes: ['tracepoint'], mapTypes: ['ringbuf'], rules: { programTypes: 'p.toml [policy] allowed-program-types=tracepoint', mapTypes: 'p.toml [policy] allowed-map-types=ringbuf' } });
  assert.deepEqual(policyFromConfig({}, 'p.toml'), {}, 'no [policy] table: no cap');
  assert.throws(() => policyFromConfig({ policy: { 'allowed-program-type': ['x'] } }, 'p.toml'), /p\.toml: unknown key policy\.allowed-program-type/);
  assert.throws(() => policyFromConfig({ policy: { 'allowed-map-types': 'hash' } }, 'p.toml'), /policy\.allowed-map-types must be a list of strings/);
  assert.throws(() => policyFromConfig({ policy: ['x'] }, 'p.toml'), /\[policy\] must be a table/);
});

test('a refusal names the rule that made it: the annotation, the node file, the default ceiling, or the annotation as the node capped it', () => {
  const node = { ...policyFromConfig({ policy: { 'allowed-attach-targets': ['tracepoint:sched/*'] } }, '/etc/wasmbpf/shim.toml') };
  const fromNode = capPolicy({}, node);
  assert.throws(() => checkAttachTarget(fromNode, 'p', 'kprobe:do_exit'), /not in \/etc\/wasmbpf\/shim\.toml \[policy\] allowed-attach-targets=tracepoint:sched\/\*$/);
  const capped = capPolicy(policyFromAnnotations({ 'wasmbpf.io/allowed-attach-targets': 'tracepoint:sched/*,kprobe:*' }), node);
  assert.throws(() => checkAttachTarget(capped, 'p', 'kprobe:do_exit'),
    /not in wasmbpf\.io\/allowed-attach-targets=tracepoint:sched\/\*,kprobe:\* as capped by \/etc\/wasmbpf\/shim\.toml \[policy\] allowed-attach-targets=tracepoint:sched\/\*$/);
  assert.throws(() => checkProgramType(capPolicy({}, DEFAULT_NODE_POLICY), 'p', 'xdp'), /type 'xdp' \(SEC\("xdp"\)\), not in the node's default program types tracepoint,.* \(the node's \[policy\] allowed-program-types can allow others\)$/);
  assert.throws(() => checkMapType(policyFromAnnotations({ 'wasmbpf.io/allowed-map-types': 'hash' }), 'm', 27), /not in wasmbpf\.io\/allowed-map-types=hash$/);
});
