// The TypeScript side: the run-time decoder and the generated reader module both decode the
// bytes a native program laid out with the kernel's layout (x86_64 and BPF agree for these
// types), to the values it wrote; the generated module also type-checks under strict tsc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BtfDecodeError, decodeRecord, generateWasmLayouts, sharedStructNames, type DecodedRecord, type RecordLayout } from '../../sdk/btf/index.ts';
import { readBits } from '../../sdk/btf/decode.ts';
import { FIXTURES, clangMissing, compileBpfObject, nativeDump } from '../helpers/btf-fixtures.ts';

const skip = clangMissing();
const ROOT = resolve(import.meta.dirname, '../..');
const ORDER = ['event', 'value', 'packed_rec', 'hist', 'bits'];

function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-ts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sharedHeader = readFileSync(join(FIXTURES, 'layouts.h'), 'utf8');
  const generated = generateWasmLayouts(compileBpfObject(dir), { structs: sharedStructNames(sharedHeader) });
  const bytes = nativeDump(dir);
  // The dump holds the structs back to back, in ORDER.
  const at = new Map<string, { record: RecordLayout; offset: number }>();
  let offset = 0;
  for (const name of ORDER) {
    const record = generated.layouts.records.find((r) => r.name === name)!;
    at.set(name, { record, offset });
    offset += record.size;
  }
  assert.equal(offset, bytes.length);
  return { dir, generated, bytes, at };
}

const f32 = (bits: number) => {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, bits, true);
  return v.getFloat32(0, true);
};
const le = (s: string, signed: boolean) => {
  const b = new TextEncoder().encode(s);
  const v = new DataView(b.buffer);
  return b.length === 8 ? (signed ? v.getBigInt64(0, true) : v.getBigUint64(0, true)) : signed ? v.getInt32(0, true) : v.getUint32(0, true);
};

/** What dump.c writes (see fill_* there). */
const EXPECTED: Record<string, DecodedRecord> = {
  event: {
    pid: 4242,
    ts: 0x1122334455667788n,
    delta: -123456789012n,
    flags_word: 0xfedcba9876543210n,
    ptr: 0xffff888012345678n,
    name_ptr: 0x00007fff00001000n,
    callback: 0xffffffff81000000n,
    len: 4096n,
    comm: 'wasmbpf-test',
    raw: [1, 2, 255],
    where: { x: -7, y: 9 },
    slots: [0, 1, 2, 3].map((i) => ({ count: 10 + i, total: 1000000000000n * BigInt(i + 1) })),
    matrix: [[-3, -2, -1], [7, 8, 9]],
    kind: 2,
    small: 200,
    wide: 0x100000000n,
    sk: -5,
    as_u32: 0xdeadbeef,
    as_bytes: [0xef, 0xbe, 0xad, 0xde],
    as_float: f32(0xdeadbeef),
    dev: { major: 8, minor: 16 },
    lo: 0xabcd,
    hi: 0x7e,
    is_write: 1,
    prio: 21,
    delta_small: -42,
    huge_bits: 0xa5a5a5a5a5n,
    after_zero: 5,
    kind_bits: 2,
    lbits: -4000000000n,
    ok: true,
    ratio: 0.375,
    tail: -2,
  },
  value: { as_u64: le('abcdefgh', false), pt: { x: le('abcd', true), y: le('efgh', true) }, name: 'abcdefghijk', flag_bits: 0x61 & 7 },
  packed_rec: { tag: 0x5a, val: 0x01020304, big: 0x0a0b0c0d0e0f1011n, end: 0xbeef, bits: 0xabc },
  hist: {
    slots: [1, 256, 65536, 16777216],
    comm: '0123456789abcde',
    owners: [0x1000n, 0xffffffffffffffffn],
    total: -1n,
    vcount: 77,
    rptr: 0x2000n,
    task: 0x3000n,
    uptr: 0x4000n,
    tagged: 99n,
    peers: [{ port: 80, proto: 6 }, { port: 53, proto: 17 }],
    names: ['alpha', 'omega'],
    big128: 0x01020304050607081112131415161718n,
  },
  bits: { a: 5, b: 3, c: 0x2abc, d: 0xfedcb, e: -300000000, f: 'z'.charCodeAt(0) },
};

test('decodeRecord reads the kernel-layout bytes back to the values written', { skip }, (t) => {
  const { bytes, at } = setup(t);
  for (const name of ORDER) {
    const { record, offset } = at.get(name)!;
    assert.deepEqual(decodeRecord(record, bytes, offset), EXPECTED[name], name);
  }
});

test('the generated TS module reads the same values, and type-checks under strict tsc', { skip }, async (t) => {
  const { dir, generated, bytes, at } = setup(t);
  const file = join(dir, 'layouts.ts');
  writeFileSync(file, generated.tsModule);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const readers: Record<string, string> = { event: 'readEvent', value: 'readValue', packed_rec: 'readPackedRec', hist: 'readHist', bits: 'readBits' };
  for (const name of ORDER) {
    const { offset, record } = at.get(name)!;
    const read = mod[readers[name]!] as (b: Uint8Array, o?: number) => unknown;
    assert.deepEqual(read(bytes, offset), EXPECTED[name], name);
    assert.equal(mod[`${name.toUpperCase()}_SIZE`], record.size);
  }
  assert.deepEqual(mod.EventKind, { EVENT_OPEN: 1, EVENT_CLOSE: 2, EVENT_LAST: 0x7fffffff });
  assert.deepEqual(mod.WideKind, { WIDE_A: 1n, WIDE_HUGE: 0x100000000n });
  assert.deepEqual(mod.SignedKind, { SIGNED_NEG: -5, SIGNED_POS: 7 });
  // A record cut short is a RangeError naming the struct, not a garbage read.
  assert.throws(() => (mod.readEvent as (b: Uint8Array) => unknown)(bytes.subarray(0, 100)), /struct event needs 248 bytes at offset 0, the buffer has 100/);

  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--noUnusedLocals', '--noUnusedParameters', '--target', 'es2023',
      '--module', 'nodenext', '--lib', 'es2023', '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node', file],
    { encoding: 'utf8', cwd: dir }, // away from the repository's tsconfig.json
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});

test('decodeRecord refuses a buffer shorter than the record', { skip }, (t) => {
  const { bytes, at } = setup(t);
  const { record } = at.get('event')!;
  assert.throws(
    () => decodeRecord(record, bytes.subarray(0, 247)),
    (e: unknown) => e instanceof BtfDecodeError && e.code === 'WASMBPF_BTF_DECODE' && /struct event needs 248 bytes at offset 0, the buffer has 247/.test(e.message),
  );
  assert.throws(() => decodeRecord(record, bytes, bytes.length - 10), BtfDecodeError);
  assert.throws(() => decodeRecord(record, bytes, -1), BtfDecodeError);
});

test('readBits counts from the low bit on little-endian and from the high bit on big-endian', () => {
  const b = new Uint8Array([0b1011_0000, 0b0000_0001]);
  assert.equal(readBits(b, 4, 4, false, true), 0b1011n);
  assert.equal(readBits(b, 4, 5, false, true), 0b1_1011n);
  assert.equal(readBits(b, 4, 4, true, true), -5n);
  assert.equal(readBits(b, 0, 3, false, false), 0b101n);
  assert.equal(readBits(b, 2, 10, false, false), 0b11_0000_0000n);
});
