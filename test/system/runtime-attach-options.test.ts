// wasmbpf_v1.attach's options beyond the target, on the real kernel (docs/abi.md): XDP mode flags
// reach the kernel (the program is attached in the mode asked for, as `ip link` reports it, and is
// gone when the module closes it, ends, or is terminated and reaped), flags that mean nothing are
// EINVAL with a message, and a kprobe's offset reaches libbpf. The probe guest's v1attach mode
// fills the options struct as a C guest does.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, test } from 'node:test';
import type { ModuleSpec } from '../../runtime/index.ts';
import { WASI_ERRNO as E } from '../../runtime/errno.ts';
import { openFdCount } from '../helpers/bpf-state.ts';
import { runModule, type ModuleRun } from '../helpers/module-run.ts';
import { rootOnly } from '../helpers/root.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';

const root = rootOnly('loads eBPF programs');

// The ABI's attach kinds and linux/if_link.h's XDP_FLAGS_* and XDP_ATTACHED_*.
const XDP = 3, TC_INGRESS = 4, KPROBE = 7;
const UPDATE_IF_NOEXIST = 1, SKB_MODE = 2, DRV_MODE = 4, REPLACE = 16;
const ATTACHED_DRV = 1, ATTACHED_SKB = 2;

let fx: RuntimeFixtures;
root.before(() => {
  fx = buildRuntimeFixtures();
});
root.after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

interface V1Attach { kind: number; prog: string; target: string; offset?: number; flags?: number; spin?: boolean }

/** Modules still running: a test that failed before stopping its module leaves it to afterEach. */
const running = new Set<ModuleRun>();
afterEach(async () => {
  for (const r of running) {
    r.module.stop('SIGKILL');
    await r.module.exited;
  }
});

function v1attach(o: V1Attach, extra: Partial<ModuleSpec> = {}): ModuleRun {
  const args = ['probe', 'v1attach', String(o.kind), o.prog, o.target, String(o.offset ?? 0), String(o.flags ?? 0)];
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.probeWasm), args: o.spin ? [...args, 'spin'] : args, ...extra });
  running.add(r);
  void r.module.exited.then(() => running.delete(r));
  return r;
}

/** A refused attach: the module ends with 1 after printing the errno and last_error (the rest of its output). */
async function refused(o: V1Attach): Promise<{ attached: number; error: string }> {
  const r = v1attach(o);
  await r.waitFor(/attached=/);
  if (r.output().includes('attached=0')) r.module.stop('SIGINT'); // the attach the test expected refused was made: end it, and fail below
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 1, out);
  const attached = Number(/attached=(-?\d+)/.exec(out)?.[1]);
  const error = /^error=([\s\S]*)/m.exec(out)?.[1] ?? ''; // the message, then libbpf's log lines
  return { attached, error };
}

/** The XDP program on `dev` as the kernel reports it (ip -j link's "xdp"), or undefined. */
function xdpOn(dev: string): { mode: number; prog?: string } | undefined {
  const [link] = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as { xdp?: { mode: number; prog?: { name?: string } } }[];
  return link?.xdp ? { mode: link.xdp.mode, prog: link.xdp.prog?.name } : undefined;
}

/** A veth pair of the test's own (veth has native XDP, unlike lo), deleted after the test. */
function vethPair(t: { after(fn: () => void): void }): string {
  const dev = `wbxo${process.pid % 100000}`;
  spawnSync('ip', ['link', 'del', dev]);
  execFileSync('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  execFileSync('ip', ['link', 'set', dev, 'up']);
  t.after(() => void spawnSync('ip', ['link', 'del', dev]));
  return dev;
}

/** Attaches wbt_xdp to `dev` with `flags`, returns the kernel's view while attached, stops the module and checks the program is gone. */
async function attachedXdp(dev: string, flags: number): Promise<{ mode: number; prog?: string } | undefined> {
  const r = v1attach({ kind: XDP, prog: 'wbt_xdp', target: dev, flags });
  try {
    await r.waitFor(/ready|attached=-/);
    const seen = xdpOn(dev);
    r.module.stop('SIGINT');
    const status = await r.module.exited;
    assert.equal(status.code, 0, r.output());
    assert.match(r.output(), /closed/);
    assert.equal(xdpOn(dev), undefined, `no XDP program left on ${dev} after the module closed its object`);
    return seen;
  } finally {
    r.close();
  }
}

test('XDP_FLAGS_SKB_MODE attaches to lo in generic mode, gone when the module ends; XDP_FLAGS_DRV_MODE is refused by lo, which has no native XDP', root.options, async (t) => {
  t.after(() => void spawnSync('ip', ['link', 'set', 'dev', 'lo', 'xdpgeneric', 'off'])); // only if an assertion failed mid-way
  assert.deepEqual(await attachedXdp('lo', SKB_MODE), { mode: ATTACHED_SKB, prog: 'wbt_xdp' });
  const drv = await refused({ kind: XDP, prog: 'wbt_xdp', target: 'lo', flags: DRV_MODE });
  assert.equal(drv.attached, -E.ENOTSUP);
  assert.match(drv.error, /cannot attach xdp program 'wbt_xdp' to interface lo in native \(driver\) mode/);
  assert.equal(xdpOn('lo'), undefined);
});

test('on a device with native XDP, no flags let the kernel choose native, XDP_FLAGS_SKB_MODE gives generic and DRV_MODE | UPDATE_IF_NOEXIST native', root.options, async (t) => {
  const dev = vethPair(t);
  assert.equal((await attachedXdp(dev, 0))?.mode, ATTACHED_DRV);
  assert.equal((await attachedXdp(dev, SKB_MODE))?.mode, ATTACHED_SKB);
  assert.equal((await attachedXdp(dev, DRV_MODE | UPDATE_IF_NOEXIST))?.mode, ATTACHED_DRV);
});

test('an XDP link in a mode, of a module terminated after it ignored stop, is closed by the reaper', root.options, async (t) => {
  const dev = vethPair(t);
  const fds = openFdCount();
  const r = v1attach({ kind: XDP, prog: 'wbt_xdp', target: dev, flags: SKB_MODE, spin: true }, { gracePeriodMs: 300 });
  await r.waitFor(/ready|attached=-/);
  assert.equal(xdpOn(dev)?.mode, ATTACHED_SKB, r.output());
  r.module.stop('SIGTERM');
  const status = await r.module.exited;
  r.close();
  assert.equal(status.code, 143, 'terminated after the grace period');
  assert.doesNotMatch(r.output(), /closed/, 'the guest never closed its object');
  assert.equal(xdpOn(dev), undefined, 'the reaper closed the link fd');
  assert.equal(openFdCount(), fds);
});

test('flags that mean nothing to XDP, or flags on another kind, are EINVAL with a message; nothing is attached', root.options, async () => {
  const twoModes = await refused({ kind: XDP, prog: 'wbt_xdp', target: 'lo', flags: SKB_MODE | DRV_MODE });
  assert.equal(twoModes.attached, -E.EINVAL);
  assert.match(twoModes.error, /XDP flags 0x6 are not one of XDP_FLAGS_SKB_MODE \(0x2\), XDP_FLAGS_DRV_MODE \(0x4\), XDP_FLAGS_HW_MODE \(0x8\)/);
  const replace = await refused({ kind: XDP, prog: 'wbt_xdp', target: 'lo', flags: REPLACE | SKB_MODE });
  assert.equal(replace.attached, -E.EINVAL);
  assert.match(replace.error, /XDP flags 0x12 are not one of/);
  const onTc = await refused({ kind: TC_INGRESS, prog: 'wbt_tc', target: 'lo', flags: SKB_MODE });
  assert.equal(onTc.attached, -E.EINVAL);
  assert.match(onTc.error, /attach flags 0x2 given for attach kind 4: only XDP \(3\) takes flags/);
  assert.equal(xdpOn('lo'), undefined);
});

test('a kprobe offset reaches libbpf: its message names the probe point function+offset', root.options, async () => {
  // Offset 1 is inside the function's first instruction: no kernel can probe there, so the attach
  // fails everywhere (here also because this kernel has no kprobes), and libbpf's warning shows
  // the point it was asked for. Any program of type kprobe serves: wbt_on_ring is a uprobe.
  const r = await refused({ kind: KPROBE, prog: 'wbt_on_ring', target: 'do_sys_openat2', offset: 1 });
  assert.ok(r.attached < 0, String(r.attached));
  assert.match(r.error, /cannot attach kprobe program 'wbt_on_ring' to do_sys_openat2\+0x1/);
  assert.match(r.error, /kprobe 'do_sys_openat2\+0x1'/, 'libbpf was asked for the offset');
});
