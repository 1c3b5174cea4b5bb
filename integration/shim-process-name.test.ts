// Operators look for the shim as `containerd-shim-wasmbpf-v1` (issue 13, item 9): ps, pgrep -f and
// the kernel's process name show it so, while the rest of its command line still tells servers apart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { probeImage } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const PROBE = 'localhost/wasmbpf-test/probe:name';

test('the shim server is containerd-shim-wasmbpf-v1 to ps and pgrep, also with a module running', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', probeImage(PROBE)]);
  await ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, PROBE, 'name1', '/probe.wasm', 'sleep']);
  const [pid, ...others] = shimPids(ctd.socket);
  assert.ok(pid, 'one server, found by its socket and entry point');
  assert.deepEqual(others, []);
  await waitFor('the module to run', async () => (await ctd.ctrOk(['task', 'ls'])).match(/^name1\s+\d+\s+RUNNING/m) ?? undefined);

  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.equal(argv[0], 'containerd-shim-wasmbpf-v1');
  assert.ok(argv.includes('-namespace') && argv.includes(ctd.namespace) && argv.includes('serve'), argv.join(' '));
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'containerd-shim', 'the kernel\'s 15 characters, as runc\'s shim has');
  assert.match(execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }), /^containerd-shim-wasmbpf-v1 /);
  const pgrep = execFileSync('pgrep', ['-f', `^containerd-shim-wasmbpf-v1 .*${ctd.namespace}`], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  assert.deepEqual(pgrep, [pid]);

  await ctd.ctrOk(['task', 'kill', '-s', 'SIGKILL', 'name1']);
  await waitFor('name1 stopped', async () => (await ctd.ctrOk(['task', 'ls'])).match(/^name1\s.*STOPPED/m) ?? undefined);
  await ctd.ctrOk(['task', 'delete', 'name1']);
  await ctd.ctrOk(['containers', 'delete', 'name1']);
  await waitFor('the server gone', () => shimPids(ctd.socket).length === 0 || undefined);
});
