// wasm_attach_bpf_program with a target string, as wasm-bpf defines it: an interface name for
// xdp and tc programs, a cgroup path for cgroup_* programs. Each program counts the UDP packets
// the test sends over lo; detaching on exit leaves no program attached.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runModule } from '../helpers/module-run.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { bpfObjectsNamed } from '../helpers/bpf-state.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
let cgroupRoot: string;
root.before(() => {
  fx = buildRuntimeFixtures();
  // This machine mounts cgroup v1 controllers only; cgroup_skb needs a cgroup v2 hierarchy.
  cgroupRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-cg2-'));
  execFileSync('mount', ['-t', 'cgroup2', 'none', cgroupRoot]);
});
root.after(() => {
  try {
    execFileSync('umount', [cgroupRoot]);
    fs.rmdirSync(cgroupRoot);
  } catch {
    // best effort: a busy mount is reported by the test that used it
  }
  fs.rmSync(fx.dir, { recursive: true, force: true });
});

async function sendUdp(count: number, port: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) await new Promise<void>((res, rej) => sock.send(`wasmbpf-${i}`, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  sock.close();
}

async function countWith(prog: string, target: string, slot: number, send: () => Promise<void>, expectCode = 0): Promise<string> {
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: ['probe', 'attach', prog, target, String(slot)] });
  await r.waitFor(/ready|attached=-/);
  await send();
  r.module.stop('SIGINT');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, expectCode, r.output());
  return r.output();
}

function countOf(out: string): number {
  const m = out.match(/count=(\d+)/);
  assert.ok(m, out);
  return Number(m[1]);
}

test('xdp program attached to lo by interface name sees the packets', root.options, async () => {
  const out = await countWith('wbt_xdp', 'lo', 0, () => sendUdp(20, 9));
  assert.match(out, /attached=0/);
  assert.ok(countOf(out) >= 20, out);
  assert.doesNotMatch(execFileSync('ip', ['link', 'show', 'lo'], { encoding: 'utf8' }), /xdp/, 'xdp detached on exit');
});

test('tc program attached to lo by interface name sees the packets, and its filter is removed on exit', root.options, async () => {
  const out = await countWith('wbt_tc', 'lo', 1, () => sendUdp(20, 9));
  assert.match(out, /attached=0/);
  assert.ok(countOf(out) >= 20, out);
  assert.doesNotMatch(execFileSync('tc', ['filter', 'show', 'dev', 'lo', 'ingress'], { encoding: 'utf8' }), /wbt_tc/);
});

test('cgroup_skb program attached by cgroup path counts the packets of processes in that cgroup', root.options, async () => {
  const cg = fs.mkdtempSync(path.join(cgroupRoot, 'wbt-'));
  try {
    const out = await countWith('wbt_cgroup', cg, 2, async () => {
      // A sender inside the cgroup: ingress on its socket is what cgroup_skb/ingress sees.
      const script = `echo $$ > ${cg}/cgroup.procs; exec python3 -c "
import socket
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20): s.sendto(b'x', r.getsockname()); r.recv(16)
"`;
      execFileSync('sh', ['-c', script]);
    });
    assert.match(out, /attached=0/);
    assert.ok(countOf(out) >= 20, out);
  } finally {
    fs.rmdirSync(cg);
  }
});

test('a missing interface or cgroup is a clear error', root.options, async () => {
  const out = await countWith('wbt_xdp', 'nosuchif0', 0, async () => {}, 1);
  assert.match(out, /no network interface named 'nosuchif0'/);
  assert.match(out, /attached=-43/); // ENODEV, in the guest's numbering
  const out2 = await countWith('wbt_cgroup', '/nonexistent/cgroup', 2, async () => {}, 1);
  assert.match(out2, /cannot open cgroup '\/nonexistent\/cgroup'/);
  assert.deepEqual(bpfObjectsNamed('wbt_').progs, []);
});
