// The BTF parser against a real clang-19 `-target bpf -g` object, cross-checked type by type
// with bpftool's own reading of the same file, and against malformed input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BtfFormatError, buildLayouts, parseBtf, readObjectBtf, type BtfType } from '../../sdk/btf/index.ts';
import { clangMissing, compileBpfObject } from '../helpers/btf-fixtures.ts';

const skip = clangMissing();

test('parses every BTF kind clang-19 emits, as bpftool reads them', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-parse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const object = compileBpfObject(dir);
  const btf = readObjectBtf(object);
  assert.equal(btf.littleEndian, true);

  const kinds = new Set(btf.types.map((x) => x.kind));
  for (const k of ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'enum64', 'fwd', 'typedef', 'volatile', 'const', 'restrict',
    'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag']) {
    assert.ok(kinds.has(k as BtfType['kind']), `the fixture object should contain a ${k}`);
  }

  const objPath = join(dir, 'layouts.bpf.o');
  const dump = spawnSync('bpftool', ['btf', 'dump', 'file', objPath, '-j'], { encoding: 'utf8' });
  if (dump.error || dump.status !== 0) {
    t.diagnostic('bpftool is not available: skipped the cross-check with it');
    return;
  }
  const theirs = (JSON.parse(dump.stdout) as { types: Record<string, unknown>[] }).types;
  assert.equal(btf.types.length - 1, theirs.length, 'same number of types');
  for (const ref of theirs) {
    const mine = btf.types[ref.id as number]!;
    const where = `type ${ref.id}`;
    assert.equal(mine.kind.toUpperCase(), ref.kind, where);
    assert.equal(mine.name || '(anon)', ref.name, where);
    if ('size' in ref && 'size' in mine) assert.equal(mine.size, ref.size, where);
    if ('type_id' in ref) assert.equal((mine as { type: number }).type, ref.type_id, where);
    if (mine.kind === 'int') {
      assert.equal(mine.bits, ref.nr_bits, where);
      assert.equal(mine.bitOffset, ref.bits_offset, where);
    }
    if (mine.kind === 'array') assert.equal(mine.nelems, ref.nr_elems, where);
    if (mine.kind === 'struct' || mine.kind === 'union') {
      const members = ref.members as { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
      assert.deepEqual(
        mine.members.map((m) => [m.name || '(anon)', m.type, m.bitOffset, m.bitfieldSize]),
        members.map((m) => [m.name, m.type_id, m.bits_offset, m.bitfield_size ?? 0]),
        where,
      );
    }
    if (mine.kind === 'enum' || mine.kind === 'enum64') {
      const values = ref.values as { name: string; val: number }[];
      assert.deepEqual(mine.values.map((v) => [v.name, Number(v.value)]), values.map((v) => [v.name, v.val]), where);
    }
    if (mine.kind === 'func_proto') {
      const params = ref.params as { name: string; type_id: number }[];
      assert.deepEqual(mine.params.map((p) => [p.name || '(anon)', p.type]), params.map((p) => [p.name, p.type_id]), where);
    }
    if (mine.kind === 'datasec') {
      const vars = ref.vars as { type_id: number; offset: number; size: number }[];
      assert.deepEqual(mine.vars.map((v) => [v.type, v.offset, v.size]), vars.map((v) => [v.type_id, v.offset, v.size]), where);
    }
    if (mine.kind === 'decl_tag') assert.equal(mine.componentIdx, ref.component_idx, where);
  }
});

test('an object compiled without -g has no BTF, and the error says how to get it', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-parse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const object = compileBpfObject(dir, false);
  assert.throws(() => readObjectBtf(object), (e: unknown) => e instanceof BtfFormatError && e.code === 'WASMBPF_BTF_FORMAT' && /clang -g/.test(e.message));
});

/** A BTF blob from raw type words and a string table, as the kernel's format lays it out. */
function blob(words: number[], strings: string, opts: { magic?: number; typeLen?: number } = {}): Uint8Array {
  const types = new Uint8Array(words.length * 4);
  const tv = new DataView(types.buffer);
  words.forEach((w, i) => tv.setUint32(i * 4, w >>> 0, true));
  const strs = new TextEncoder().encode(strings);
  const out = new Uint8Array(24 + types.length + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, opts.magic ?? 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, opts.typeLen ?? types.length, true);
  v.setUint32(16, types.length, true);
  v.setUint32(20, strs.length, true);
  out.set(types, 24);
  out.set(strs, 24 + types.length);
  return out;
}

const info = (kind: number, vlen = 0, kflag = false) => ((kflag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0;

test('parses a hand-built blob: an old-style bitfield (width in the INT) and a signed enum', () => {
  // strings: 1 "int", 5 "s", 7 "a", 9 "b", 11 "e", 13 "N"
  const words = [
    1, info(1), 4, (1 << 24) | 32, // [1] int, 4 bytes, signed, 32 bits
    1, info(1), 4, (2 << 16) | 3, // [2] int, 4 bytes, 3 bits at bit 2: a pre-kind_flag bitfield
    11, info(6, 1, true), 4, 13, -5, // [3] enum e (signed) { N = -5 }
    5, info(4, 3), 12, 7, 1, 0, 9, 2, 32, 0, 3, 64, // [4] struct s { int a; int b:3; enum e c; } (kind_flag 0)
  ];
  const btf = parseBtf(blob(words, '\0int\0s\0a\0b\0e\0N\0'));
  assert.deepEqual(btf.types[2], { id: 2, name: 'int', kind: 'int', size: 4, encoding: 0, bitOffset: 2, bits: 3 });
  assert.deepEqual(btf.types[3], { id: 3, name: 'e', kind: 'enum', size: 4, signed: true, values: [{ name: 'N', value: -5n }] });
  const [s] = buildLayouts(btf, ['s']).records;
  assert.deepEqual(
    s!.members.map((m) => [m.name, m.bitOffset, m.bitSize]),
    [['a', 0, undefined], ['b', 34, 3], ['', 64, undefined]].map(([n, o, b]) => [n || undefined, o, b]),
  );
});

test('malformed BTF is a WASMBPF_BTF_FORMAT error naming the problem', () => {
  const isFormat = (re: RegExp) => (e: unknown) => e instanceof BtfFormatError && e.code === 'WASMBPF_BTF_FORMAT' && re.test(e.message);
  assert.throws(() => parseBtf(new Uint8Array(8)), isFormat(/shorter than its header/));
  assert.throws(() => parseBtf(blob([], '\0', { magic: 0x1234 })), isFormat(/bad BTF magic/));
  assert.throws(() => parseBtf(blob([0, info(1), 4], '\0')), isFormat(/truncated/));
  assert.throws(() => parseBtf(blob([0, info(1), 4, 32], '\0', { typeLen: 400 })), isFormat(/outside the data/));
  assert.throws(() => parseBtf(blob([0, info(25), 0], '\0')), isFormat(/unknown kind 25/));
  assert.throws(() => parseBtf(blob([0, info(2), 9], '\0')), isFormat(/refers to type 9/));
  assert.throws(() => parseBtf(blob([77, info(2), 0], '\0')), isFormat(/string offset 77/));
  assert.throws(() => readObjectBtf(new TextEncoder().encode('definitely not an ELF file, just text')), isFormat(/cannot read the eBPF object/));
});

test('an unaligned view of the object parses like the original', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-parse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const object = compileBpfObject(dir);
  const copy = new Uint8Array(object.length + 3);
  copy.set(object, 3);
  // An unaligned view (byteOffset 3) must parse like the original.
  assert.deepEqual(readObjectBtf(copy.subarray(3)), readObjectBtf(object));
});
