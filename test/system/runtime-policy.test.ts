// The eBPF policy enforced on the real kernel: a module outside its policy gets EPERM with the
// rule named on its stderr, loads nothing, and one inside it runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import type { EbpfPolicy } from '../../runtime/index.ts';
import { runToEnd } from '../helpers/module-run.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { bpfObjectsNamed } from '../helpers/bpf-state.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
before(() => {
  fx = buildRuntimeFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

function runWith(policy: EbpfPolicy, args: string[], during?: () => void): Promise<{ code: number; out: string }> {
  return runToEnd(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', ...args], policy }, during);
}

test('a program type outside the policy is refused at load', root.options, async () => {
  const { code, out } = await runWith({ programTypes: ['tracepoint'] }, ['exit', '0']);
  assert.equal(code, 10, out); // the guest's "load failed"
  assert.match(out, /policy: program 'wbt_on_ring' is of type 'uprobe'/);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});

test('a map type outside the policy is refused at load', async () => {
  const { code, out } = await runWith({ mapTypes: ['hash', 'array', 'ringbuf'] }, ['exit', '0']);
  assert.equal(code, 10, out);
  assert.match(out, /policy: map 'wbt_perf' is a perf_event_array/);
});

test('an attach target outside the policy gets EPERM; one inside runs', root.options, async () => {
  const refused = await runWith({ attachTargets: ['uprobe:*:trigger_perf'] }, ['ring', '10']);
  assert.match(refused.out, /policy: program 'wbt_on_ring' may not attach to 'uprobe:.*:trigger_ring'/);
  assert.equal(refused.code, 11, refused.out); // the guest's "attach failed"
  const allowed = await runWith({ programTypes: ['uprobe', 'xdp', 'tc', 'cgroup_skb'], attachTargets: ['uprobe:*:trigger_*'] }, ['ring', '50'],
    () => execFileSync(fx.trigger, ['ring', '50']));
  assert.equal(allowed.code, 0, allowed.out);
  assert.match(allowed.out, /seen=50/);
});

const ALL_PROBE_TYPES = ['uprobe', 'xdp', 'tc', 'cgroup_skb'];

test('an XDP attach outside the attach targets gets -EPERM, the rule on stderr, and nothing is attached', root.options, async () => {
  const { code, out } = await runWith({ programTypes: ALL_PROBE_TYPES, attachTargets: ['interface:wbt-none', 'uprobe:*'] }, ['attach', 'wbt_xdp', 'lo', '0']);
  assert.equal(code, 1, out);
  assert.match(out, /attached=-63\b/, 'EPERM in WASI numbering');
  assert.match(out, /policy: program 'wbt_xdp' may not attach to 'interface:lo', not in wasmbpf\.io\/allowed-attach-targets=interface:wbt-none,uprobe:\*/);
  assert.doesNotMatch(execFileSync('ip', ['link', 'show', 'lo'], { encoding: 'utf8' }), /xdp/);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});

test('a cgroup attach outside the attach targets gets -EPERM and nothing is attached to the cgroup', root.options, async (t) => {
  const os = await import('node:os');
  const path = await import('node:path');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-policy-cg2-'));
  execFileSync('mount', ['-t', 'cgroup2', 'none', root]);
  const cg = fs.mkdtempSync(path.join(root, 'wbt-policy-'));
  t.after(() => {
    fs.rmdirSync(cg);
    execFileSync('umount', [root]);
    fs.rmdirSync(root);
  });
  const { code, out } = await runWith({ programTypes: ALL_PROBE_TYPES, attachTargets: [`cgroup:${root}/wbt-allowed/*`] }, ['attach', 'wbt_cgroup', cg, '2']);
  assert.equal(code, 1, out);
  assert.match(out, /attached=-63\b/);
  assert.match(out, new RegExp(`policy: program 'wbt_cgroup' may not attach to 'cgroup:${cg}'`));
  assert.deepEqual(JSON.parse(execFileSync('bpftool', ['-j', 'cgroup', 'show', cg], { encoding: 'utf8' }).trim() || '[]'), []);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});

test('wasmbpf run --policy FILE: the file caps the module, --allow-* narrow it further, a bad file is a clear error', root.options, async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const path = await import('node:path');
  const file = path.join(fx.dir, 'policy.toml');
  const wasmbpf = path.resolve(import.meta.dirname, '../../bin/wasmbpf');
  const run = (args: string[]) => promisify(execFile)(wasmbpf, args).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));

  fs.writeFileSync(file, '[policy]\nallowed-program-types = ["tracepoint"]\n');
  const refused = await run(['run', '--policy', file, fx.probeWasm, 'exit', '0']);
  assert.equal(refused.code, 10, refused.out);
  assert.match(refused.out, /policy: program 'wbt_on_ring' is of type 'uprobe'/);

  fs.writeFileSync(file, `[policy]\nallowed-program-types = ${JSON.stringify(ALL_PROBE_TYPES)}\n`);
  assert.equal((await run(['run', '--policy', file, fx.probeWasm, 'exit', '0'])).code, 0, 'inside the file\'s policy it runs');
  const narrowed = await run(['run', '--policy', file, '--allow-program-types', 'uprobe', fx.probeWasm, 'exit', '0']);
  assert.match(narrowed.out, /policy: program 'wbt_xdp' is of type 'xdp'/, 'a flag narrows the file');
  const widened = await run(['run', '--policy', file, '--allow-program-types', 'uprobe,xdp,tc,cgroup_skb,kprobe', fx.probeWasm, 'exit', '0']);
  assert.equal(widened.code, 0, 'a flag cannot widen the file (kprobe is dropped), the rest runs');

  fs.writeFileSync(file, '[policy]\nallowed-program-type = ["uprobe"]\n');
  const typo = await run(['run', '--policy', file, fx.probeWasm, 'exit', '0']);
  assert.notEqual(typo.code, 0);
  assert.match(typo.out, /unknown key policy\.allowed-program-type/);
  const missing = await run(['run', '--policy', path.join(fx.dir, 'nope.toml'), fx.probeWasm, 'exit', '0']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.out, /--policy .*nope\.toml: ENOENT/);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});
