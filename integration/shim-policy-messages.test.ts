// A refusal by the eBPF policy names the rule that made it (issue 13, item 8): the node's file
// when the node's [policy] refused, the annotation as the node capped it when both had a say.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { execsnoopImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const EXECSNOOP = 'localhost/wasmbpf-test/execsnoop:policy';

test('a program type the node\'s [policy] does not allow is refused naming the node\'s file, or the annotation as that file capped it', root.options, async (t) => {
  const ctd = await Containerd.startFor(t, { shimConfig: '[shim]\nidle-timeout = "0s"\n[policy]\nallowed-program-types = ["kprobe"]\n' });
  await ctd.ctrOk(['images', 'import', execsnoopImage(EXECSNOOP)]);
  const run = (id: string, ...flags: string[]) => ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...flags, EXECSNOOP, id], { timeoutMs: 60_000 });
  const file = join(ctd.dir, 'shim.toml').replace(/[.\/]/g, '\\$&');

  const byNode = await run('pm-node');
  assert.notEqual(byNode.code, 0, byNode.stdout);
  assert.match(byNode.stderr, new RegExp(`policy: program 'handle_exec' is of type 'tracepoint' \\(SEC\\("tp/sched/sched_process_exec"\\)\\), not in ${file} \\[policy\\] allowed-program-types=kprobe\\n`), byNode.stderr);
  assert.doesNotMatch(byNode.stderr, /wasmbpf\.io\/allowed-program-types/, 'no annotation was set: none is blamed');

  const capped = await run('pm-capped', '--annotation', 'wasmbpf.io/allowed-program-types=tracepoint,kprobe');
  assert.notEqual(capped.code, 0, capped.stdout);
  assert.match(capped.stderr, new RegExp(`not in wasmbpf\\.io/allowed-program-types=tracepoint,kprobe as capped by ${file} \\[policy\\] allowed-program-types=kprobe\\n`), capped.stderr);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});
