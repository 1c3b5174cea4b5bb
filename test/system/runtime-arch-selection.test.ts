// Arch-aware selection at load time: an embedded object built for another architecture is
// refused with both architectures named; an image object for the host with the same programs
// and maps replaces it and runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ModuleSpec } from '../../runtime/index.ts';
import { runToEnd } from '../helpers/module-run.ts';
import { readObjectArch } from '../../oci-spec/ebpf-object.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
before(() => {
  fx = buildRuntimeFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

function runProbe(wasmFile: string, args: string[], extra: Partial<ModuleSpec>, during?: () => void): Promise<{ code: number; out: string }> {
  return runToEnd(fx.dir, { wasm: fs.readFileSync(wasmFile), args: ['probe', ...args], ...extra }, during);
}

test('the fixture objects carry the architecture marker', () => {
  assert.equal(readObjectArch(fs.readFileSync(fx.probeObjectX86)), 'x86_64');
  assert.equal(readObjectArch(fs.readFileSync(fx.probeObject)), undefined, 'an unmarked object (wasm-bpf toolchain) has no arch');
});

test('an embedded arm64 object is refused on x86_64 with both architectures named', async () => {
  const { code, out } = await runProbe(fx.probeArm64Wasm, ['exit', '0'], { hostArch: 'x86_64' });
  assert.equal(code, 10, out); // the guest's "load failed" exit
  assert.match(out, /built for arm64 but this host is x86_64; run the image `wasmbpf build` makes of this tool, which carries an eBPF object for each architecture/);
});

test('an image object for the host with the same programs and maps replaces the embedded one', root.options, async () => {
  const bytes = fs.readFileSync(fx.probeObjectX86);
  const { code, out } = await runProbe(fx.probeArm64Wasm, ['ring', '500'], {
    hostArch: 'x86_64',
    bpfObjects: [{ arch: 'arm64', name: 'probe.bpf.o', bytes: new Uint8Array(bytes.length) }, { arch: 'x86_64', name: 'probe.bpf.o', bytes }],
  }, () => execFileSync(fx.trigger, ['ring', '500']));
  assert.equal(code, 0, out);
  assert.match(out, /seen=500 out_of_order=0/);
});

test('an image object with different programs is not substituted', async () => {
  const other = path.join(fx.dir, 'other.bpf.o');
  execFileSync('clang-19', ['-g', '-O2', '-target', 'bpf', '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', path.join(import.meta.dirname, '../fixtures/runtime/rejected.bpf.c'), '-o', other]);
  const { code, out } = await runProbe(fx.probeArm64Wasm, ['exit', '0'], {
    hostArch: 'x86_64',
    bpfObjects: [{ arch: 'x86_64', name: 'other.bpf.o', bytes: fs.readFileSync(other) }],
  });
  assert.equal(code, 10, out);
  assert.match(out, /built for arm64 but this host is x86_64 \(the image offers: x86_64, none matching/);
});
