// Random and mutated ELF files into wasm_load_bpf_object, from a guest module: the probe object
// (debug info stripped, so every byte left is structure: ELF and section headers, symbols,
// relocations, BTF, .maps, instructions) with bit flips, interesting values in header and
// section-header fields, truncations and insertions. Every load must answer a handle or 0
// (the reason on the module's stderr), never crash or throw, and afterwards the host still
// loads the real object and nothing of the fuzz is left.
//
// Replay: WASMBPF_FUZZ_SEED=<seed> [WASMBPF_FUZZ_PATH=<path>] scripts/test test/system/fuzz-elf-load.test.ts
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { HOSTILE_PAGES, hostileGuestWasm, renamedProbe, type HostileGuestExports } from '../helpers/hostile-guest.ts';
import { leftAfterRelease, openFdCount } from '../helpers/bpf-state.ts';
import { QuietLibbpfLog } from '../helpers/in-process-host.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

/** Mutated objects loaded; keep at least this many in CI. */
const RUNS = Number(process.env.WASMBPF_FUZZ_RUNS ?? 5000);
const SEED = process.env.WASMBPF_FUZZ_SEED ? Number(process.env.WASMBPF_FUZZ_SEED) : Date.now() ^ (process.pid << 8);
const PATH = process.env.WASMBPF_FUZZ_PATH;
const PREFIX = `e${(process.pid % 46656).toString(36).padStart(3, '0')}`;
const OBJECT_AT = 4096;
const MAX_BYTES = HOSTILE_PAGES * 65536 - OBJECT_AT;

let fx: RuntimeFixtures;
let base: Buffer;
let log: QuietLibbpfLog;

root.before(() => {
  fx = buildRuntimeFixtures();
  const stripped = path.join(fx.dir, 'probe.stripped.bpf.o');
  execFileSync('llvm-objcopy-19', ['--strip-debug', fx.probeObject, stripped]);
  base = Buffer.from(renamedProbe(fs.readFileSync(stripped), PREFIX));
  log = new QuietLibbpfLog();
});
root.after(() => {
  log.close();
  fs.rmSync(fx.dir, { recursive: true, force: true });
});

// ---- mutations -----------------------------------------------------------------------------

const INTERESTING32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const SHDR_FIELDS = [
  ['sh_name', 0, 4], ['sh_type', 4, 4], ['sh_flags', 8, 8], ['sh_offset', 24, 8], ['sh_size', 32, 8],
  ['sh_link', 40, 4], ['sh_info', 44, 4], ['sh_addralign', 48, 8], ['sh_entsize', 56, 8],
] as const;
const EHDR_FIELDS = [[4, 1], [5, 1], [16, 2], [18, 2], [40, 8], [58, 2], [60, 2], [62, 2]] as const; // class, data, type, machine, shoff, shentsize, shnum, shstrndx

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'ehdr'; field: number; value: number }
  | { kind: 'shdr'; section: number; field: number; value: number; relative: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'copy'; from: number; to: number; len: number };

const pos = fc.double({ min: 0, max: 1, noNaN: true }); // a position, as a fraction of the current size
const value32 = fc.oneof(fc.constantFrom(...INTERESTING32), fc.integer({ min: 0, max: 0xffffffff }));
const mutation: fc.Arbitrary<{ m: Mutation; f: number; g: number }> = fc.oneof(
  fc.record({ m: fc.record({ kind: fc.constant('flip' as const), at: fc.constant(0), bit: fc.nat(7) }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('byte' as const), at: fc.constant(0), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('word' as const), at: fc.constant(0), value: value32 }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('ehdr' as const), field: fc.nat(EHDR_FIELDS.length - 1), value: value32 }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('shdr' as const), section: fc.nat(40), field: fc.nat(SHDR_FIELDS.length - 1), value: value32, relative: fc.boolean() }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('truncate' as const), at: fc.constant(0) }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('insert' as const), at: fc.constant(0), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), f: pos, g: pos }),
  fc.record({ m: fc.record({ kind: fc.constant('copy' as const), from: fc.constant(0), to: fc.constant(0), len: fc.integer({ min: 1, max: 512 }) }), f: pos, g: pos }),
);

function writeField(b: Buffer, at: number, size: number, value: number): void {
  if (at < 0 || at + size > b.length) return;
  if (size === 1) b.writeUInt8(value & 0xff, at);
  else if (size === 2) b.writeUInt16LE(value & 0xffff, at);
  else if (size === 4) b.writeUInt32LE(value >>> 0, at);
  else b.writeBigUInt64LE(BigInt(value >>> 0) | (value > 0xffffffff ? 0xffffffff00000000n : 0n), at);
}

function mutate(bytes: Buffer, steps: { m: Mutation; f: number; g: number }[]): Buffer {
  let b = Buffer.from(bytes);
  for (const { m, f, g } of steps) {
    const at = Math.floor(f * b.length);
    switch (m.kind) {
      case 'flip': if (at < b.length) b[at]! ^= 1 << m.bit; break;
      case 'byte': if (at < b.length) b[at] = m.value; break;
      case 'word': writeField(b, at & ~3, 4, m.value); break;
      case 'ehdr': { const [off, size] = EHDR_FIELDS[m.field]!; writeField(b, off, size, m.value); break; }
      case 'shdr': {
        if (b.length < 64) break;
        const shoff = Number(b.readBigUInt64LE(40)), shnum = b.readUInt16LE(60);
        const section = shnum ? m.section % shnum : m.section;
        const [, off, size] = SHDR_FIELDS[m.field]!;
        const fieldAt = shoff + section * 64 + off;
        if (fieldAt + size > b.length || fieldAt < 0) break;
        // relative: nudge the current value (off by one, a page, a sign) rather than replace it.
        const current = size === 4 ? b.readUInt32LE(fieldAt) : Number(b.readBigUInt64LE(fieldAt) & 0xffffffffn);
        writeField(b, fieldAt, size, m.relative ? current + [1, -1, 8, -8, 4096, 0x80000000][m.value % 6]! : m.value);
        break;
      }
      case 'truncate': b = b.subarray(0, Math.max(1, at)); break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'copy': {
        const from = Math.floor(g * b.length);
        b = Buffer.from(b); // subarray views share memory
        b.copy(b, at, from, Math.min(b.length, from + m.len));
        break;
      }
    }
  }
  return b.length > MAX_BYTES ? b.subarray(0, MAX_BYTES) : b;
}

// ---- the test ------------------------------------------------------------------------------

test(`${RUNS} random and mutated ELF files into wasm_load_bpf_object (seed ${SEED})`, { ...root.options, timeout: 600_000 }, async (t) => {
  console.error(`ELF fuzz: WASMBPF_FUZZ_SEED=${SEED}`);
  const fdsBefore = openFdCount();
  const { host, ledger } = log.host();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(hostileGuestWasm()), host.imports());
  host.bind(instance);
  const g = instance.exports as unknown as HostileGuestExports;
  const trace = !!process.env.WASMBPF_FUZZ_TRACE;
  const tally = { loaded: 0, refused: 0 };
  const input = fc.oneof(
    { weight: 9, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 6 }).map((steps) => mutate(base, steps)) },
    // Random bytes behind a valid ELF identification, and bytes with no ELF at all.
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 4096 }).map((r) => Buffer.concat([base.subarray(0, 64), r])) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 256 }).map((r) => Buffer.from(r)) },
  );
  try {
    const out = fc.check(fc.property(input, (bytes) => {
      const mem = new Uint8Array(g.memory.buffer);
      mem.set(bytes, OBJECT_AT);
      if (trace) fs.writeFileSync(`/tmp/wasmbpf-elf-fuzz-${process.pid}.o`, bytes);
      const handle = g.t_load(OBJECT_AT, bytes.length);
      assert.equal(typeof handle, 'bigint');
      assert.ok(handle >= 0n, `a handle or 0, got ${handle}`);
      if (handle > 0n) {
        tally.loaded++;
        assert.equal(g.t_close(handle), 0);
      } else {
        tally.refused++;
      }
    }), { seed: SEED, path: PATH, numRuns: RUNS, endOnFailure: true });
    if (out.failed) {
      assert.fail(`ELF fuzz failed (replay: WASMBPF_FUZZ_SEED=${out.seed} WASMBPF_FUZZ_PATH=${out.counterexamplePath}): ` +
        `${(out.errorInstance as Error | undefined)?.stack ?? String(out.errorInstance)}`);
    }
    t.diagnostic(`loaded ${tally.loaded}, refused ${tally.refused}`);
    // The host keeps serving: the real object still loads.
    new Uint8Array(g.memory.buffer).set(base, OBJECT_AT);
    const handle = g.t_load(OBJECT_AT, base.length);
    assert.ok(handle > 0n, 'the real object loads after the fuzz');
    assert.equal(g.t_close(handle), 0);
  } finally {
    host.close();
  }
  assert.deepEqual(ledger.held(), []);
  assert.deepEqual(await leftAfterRelease(PREFIX), { progs: [], maps: [] }, 'nothing of the fuzz is loaded');
  assert.ok(openFdCount() <= fdsBefore + 2, `fds back near baseline (${fdsBefore} -> ${openFdCount()})`);
});
