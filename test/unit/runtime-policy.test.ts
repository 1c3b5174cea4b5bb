// The eBPF policy model: section names to program types and attach targets, annotation parsing,
// and capping a module's request by the node's policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoAttachTarget, capPolicy, checkAttachTarget, checkMapType, checkProgramType, policyFromAnnotations, policyFromConfig, programTypeOf } from '../../runtime/policy.ts';

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
    { programTypes: ['tracepoint'], mapTypes: ['ringbuf'] });
  assert.deepEqual(policyFromConfig({}, 'p.toml'), {}, 'no [policy] table: no cap');
  assert.throws(() => policyFromConfig({ policy: { 'allowed-program-type': ['x'] } }, 'p.toml'), /p\.toml: unknown key policy\.allowed-program-type/);
  assert.throws(() => policyFromConfig({ policy: { 'allowed-map-types': 'hash' } }, 'p.toml'), /policy\.allowed-map-types must be a list of strings/);
  assert.throws(() => policyFromConfig({ policy: ['x'] }, 'p.toml'), /\[policy\] must be a table/);
});
