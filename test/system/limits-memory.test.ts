// The linear memory cap (runtime/wasm/memory-limit.ts) on a real guest: malloc in a loop gets
// NULL at the cap, a guest that aborts on NULL is ended as out of memory (137, like the OOM
// killer) with a message naming the limit, and a module whose initial memory is above the cap
// does not start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { buildLimitFixtures, type LimitFixtures } from '../helpers/limits-guest.ts';
import { runModule, runToEnd } from '../helpers/module-run.ts';
import { capModuleMemory, parseSize, WASM_PAGE } from '../../runtime/wasm/memory-limit.ts';

let fx: LimitFixtures;
before(() => {
  fx = buildLimitFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

function allocatedKib(out: string): number {
  const m = /malloc_null_after_kib=(\d+)/.exec(out);
  assert.ok(m, `no malloc_null_after_kib= in:\n${out}`);
  return Number(m[1]);
}

test('malloc in a loop gets NULL at the cap (32 MiB) and the guest carries on', async () => {
  const { code, out } = await runToEnd(fx.dir, { wasm: fs.readFileSync(fx.guest), args: ['guest', 'malloc', '1024'], memoryLimit: 32 * MiB });
  assert.equal(code, 0, out);
  const kib = allocatedKib(out);
  assert.ok(kib >= 24 * 1024 && kib <= 32 * 1024, `allocated ${kib} KiB under a 32 MiB cap`);
});

test('without a limit given, the default cap (256 MiB) applies', async () => {
  const { code, out } = await runToEnd(fx.dir, { wasm: fs.readFileSync(fx.guest), args: ['guest', 'malloc', '4096'] });
  assert.equal(code, 0, out);
  const kib = allocatedKib(out);
  assert.ok(kib >= 240 * 1024 && kib <= 256 * 1024, `allocated ${kib} KiB under the default cap`);
});

test('a guest that aborts when malloc fails at the cap is out of memory: exit 137, the message names the limit', async () => {
  const r = runModule(fx.dir, { wasm: fs.readFileSync(fx.guest), args: ['guest', 'abort', '1024'], memoryLimit: 16 * MiB });
  const status = await r.module.exited;
  r.close();
  const out = r.output();
  assert.equal(status.code, 137, out);
  assert.equal(status.outOfMemory, true);
  assert.match(out, /wasmbpf: wasm trap: unreachable \(the module's memory is [\d.]+ MiB of its 16 MiB limit/, out);
});

test('a module whose initial memory is above the cap does not start: exit 1, the limit named', async () => {
  const wasm = fs.readFileSync(fx.bigInitial);
  const refused = await runToEnd(fx.dir, { wasm, args: ['guest'], memoryLimit: 32 * MiB });
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /initial|starts at 64 MiB, above its memory limit of 32 MiB \(WASMBPF_MEMORY_LIMIT\)/);
  assert.doesNotMatch(refused.out, /hello/);
  const fits = await runToEnd(fx.dir, { wasm, args: ['guest'], memoryLimit: 64 * MiB });
  assert.equal(fits.code, 0, fits.out);
  assert.match(fits.out, /hello/);
});

test('the rewrite keeps a lower maximum the module declares, and sizes parse like Kubernetes quantities', async () => {
  // (module (memory 1 4)) with its max of 4 pages, under a 1 GiB cap: stays 4.
  const small = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 1, 1, 4]);
  const capped = capModuleMemory(small, 1024 * MiB);
  const mem = new WebAssembly.Instance(new WebAssembly.Module(capped.slice())).exports;
  assert.deepEqual(capped, small);
  assert.equal(Object.keys(mem).length, 0);
  const lowered = capModuleMemory(small, 2 * WASM_PAGE);
  assert.deepEqual([...lowered.subarray(8)], [5, 4, 1, 1, 1, 2]);
  assert.equal(parseSize('256Mi', 'x'), 256 * MiB);
  assert.equal(parseSize('1Gi', 'x'), 1024 * MiB);
  assert.equal(parseSize('64MiB', 'x'), 64 * MiB);
  assert.equal(parseSize('1M', 'x'), 1e6);
  assert.equal(parseSize('65536', 'x'), 65536);
  assert.throws(() => parseSize('lots', '--memory-limit'), /--memory-limit: 'lots' is not a size/);
});

test('wasmbpf run --memory-limit narrows the cap; a bad size is a usage error', async () => {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const bin = path.resolve(import.meta.dirname, '../../bin/wasmbpf');
  const env = { ...process.env, WASMBPF_DEV: '1' };
  const out = execFileSync(bin, ['run', '--memory-limit', '16Mi', fx.guest, 'malloc', '1024'], { env, encoding: 'utf8' });
  assert.ok(allocatedKib(out) <= 16 * 1024, out);
  const bad = spawnSync(bin, ['run', '--memory-limit', 'lots', fx.guest], { env, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--memory-limit: 'lots' is not a size/);
  const big = spawnSync(bin, ['run', '--memory-limit', '8Mi', fx.bigInitial], { env, encoding: 'utf8' });
  assert.equal(big.status, 1);
  assert.match(big.stderr, /linear memory starts at 64 MiB, above its memory limit of 8 MiB/);
});

test('a truncated module is still reported by V8 (the rewrite does not hide its error)', async () => {
  const wasm = fs.readFileSync(fx.guest);
  const truncated = wasm.subarray(0, 40); // ends inside a section
  const { code, out } = await runToEnd(fx.dir, { wasm: truncated, args: ['guest'] });
  assert.equal(code, 1, out);
  assert.match(out, /wasmbpf: invalid Wasm module: /);
});
