// The wasm32 C header generated from a real clang-19 BPF object: its static asserts pass under
// clang --target=wasm32-wasi, a definition that drifts from the kernel's fails the build, and
// a wasm32 program filling the structs through it writes the very bytes a native (kernel
// layout) program writes: the proof for bitfields, which offsetof cannot check.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import {
  BtfLayoutError,
  BtfStructMissingError,
  generateWasmLayouts,
  sharedStructNames,
} from '../../sdk/btf/index.ts';
import { CLANG, FIXTURES, clangMissing, compileBpfObject, compileWasm, nativeDump, wasmDump } from '../helpers/btf-fixtures.ts';

const skip = clangMissing();
const sharedHeader = readFileSync(join(FIXTURES, 'layouts.h'), 'utf8');

function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-c-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const object = compileBpfObject(dir);
  const generated = generateWasmLayouts(object, { structs: sharedStructNames(sharedHeader), sharedHeader, guard: 'LAYOUTS_WASM_H' });
  const header = join(dir, 'layouts.wasm.h');
  writeFileSync(header, generated.cHeader);
  return { dir, object, generated, header };
}

/** A guest translation unit that includes `header` and uses the structs the way a tool does. */
function guestSource(dir: string, header: string): string {
  const src = join(dir, `guest-${Math.random().toString(36).slice(2)}.c`);
  writeFileSync(
    src,
    '#define TASK_COMM_LEN 16 /* as another guest header might */\n' +
      `#include "${header}"\n` +
      'int handle_event(void *ctx, void *data, size_t size) {\n' +
      '\tconst struct event *e = data;\n' +
      '\t(void)ctx;\n' +
      '\tif (size < sizeof(*e)) return -1;\n' +
      '\treturn (int)(e->pid + e->prio + e->lbits + e->as_u32 + e->dev.minor + e->slots[3].total + e->comm[0] + TASK_COMM_LEN);\n' +
      '}\n',
  );
  return src;
}

test('the generated header compiles for wasm32-wasi and all its static asserts hold', { skip }, (t) => {
  const { dir, header, generated } = setup(t);
  const r = compileWasm(guestSource(dir, header), join(dir, 'guest.o'));
  assert.equal(r.ok, true, r.stderr);
  const h = generated.cHeader;
  // The constructs the brief names, spelt the wasm32-safe way.
  for (const line of [
    '#ifndef LAYOUTS_WASM_H',
    '#include <stdint.h>',
    '#ifndef TASK_COMM_LEN\n#define TASK_COMM_LEN 16\n#endif',
    'struct event {',
    'int64_t delta; /* long */',
    'uint64_t flags_word; /* unsigned long */',
    'uint64_t ptr; /* void * */',
    'uint64_t len; /* size_like_t: unsigned long */',
    'char comm[16];',
    'struct slot slots[4];',
    'int32_t matrix[2][3];',
    'uint8_t small; /* enum small_kind */',
    'uint32_t prio : 5;',
    'int64_t lbits : 33; /* long */',
    'union value {',
    'struct __attribute__((packed)) packed_rec {',
    'uint64_t owners[2]; /* void * */',
    'uint64_t task; /* struct task_struct * */',
    'SMALL_B = 200,',
    '#define WIDE_HUGE ((uint64_t)4294967296ULL)',
    '_Static_assert(sizeof(struct event) == 248,',
    '_Static_assert(offsetof(struct event, dev.minor) == 210,',
    '_Static_assert(offsetof(struct event, as_float) == 204,',
  ]) {
    assert.ok(h.includes(line), `the header should contain: ${line}`);
  }
  // u64 after u32: the kernel's hole is an explicit member.
  assert.match(h, /struct slot \{\n\tuint32_t count; \/\* u32 \*\/\n\tuint8_t __pad_4\[4\];\n\tuint64_t total; \/\* u64 \*\/\n\};/);
  // Named records are defined before the records that embed them.
  assert.ok(h.indexOf('struct point {') < h.indexOf('struct event {'));
});

test('a definition that drifts from the kernel (long, a pointer, a type, packing) fails the wasm32 build', { skip }, (t) => {
  const { dir, generated } = setup(t);
  const cases: [string, string, RegExp][] = [
    ['int64_t delta; /* long */', 'long delta;', /struct event: size of delta differs from the eBPF object \(8\)/],
    ['uint64_t ptr; /* void * */', 'void *ptr;', /struct event: size of ptr differs from the eBPF object \(8\)/],
    ['int16_t tail;', 'int32_t tail;', /struct event: size of tail differs from the eBPF object \(2\)/],
    ['struct __attribute__((packed)) packed_rec {', 'struct packed_rec {', /struct packed_rec: offset of val differs from the eBPF object \(1\)/],
  ];
  for (const [i, [from, to, expected]] of cases.entries()) {
    assert.ok(generated.cHeader.includes(from), `the header should contain: ${from}`);
    const header = join(dir, `mismatch-${i}.h`);
    writeFileSync(header, generated.cHeader.replace(from, to));
    const r = compileWasm(guestSource(dir, header), join(dir, `mismatch-${i}.o`));
    assert.equal(r.ok, false, `'${to}' instead of '${from}' should fail the build`);
    assert.match(r.stderr, expected);
  }
});

test('the hand-written kernel header, checked by the generated asserts, fails on wasm32 and passes natively', { skip }, (t) => {
  const { dir, generated } = setup(t);
  // The asserts are the kernel's truth: layouts.h itself satisfies them on x86_64 (LP64, the
  // BPF layout) and violates them on wasm32 (ILP32), which is the bug the generator prevents.
  const asserts = generated.cHeader.split('\n').filter((l) => l.startsWith('_Static_assert(')).join('\n');
  const src = join(dir, 'handwritten.c');
  writeFileSync(src, `#include <stddef.h>\n#include "${join(FIXTURES, 'layouts.h')}"\n${asserts}\n`);
  const wasm = compileWasm(src, join(dir, 'handwritten.wasm.o'));
  assert.equal(wasm.ok, false, 'layouts.h must not pass the asserts on wasm32');
  assert.match(wasm.stderr, /struct event: size of delta differs from the eBPF object/);
  assert.match(wasm.stderr, /struct event: offset of flags_word differs from the eBPF object/);
  assert.match(wasm.stderr, /struct hist: size of owners differs from the eBPF object/);
  const native = spawnSync(CLANG, ['-std=c11', '-c', src, '-o', join(dir, 'handwritten.native.o')], { encoding: 'utf8' });
  assert.equal(native.status, 0, native.stderr);
});

test('a wasm32 program writes the same bytes through the generated header as the kernel layout', { skip }, (t) => {
  const { dir, header, generated } = setup(t);
  const kernel = nativeDump(dir);
  const guest = wasmDump(dir, header);
  const sizes = generated.layouts.records.filter((r) => ['event', 'value', 'packed_rec', 'hist', 'bits'].includes(r.name!)).map((r) => r.size);
  assert.equal(kernel.length, sizes.reduce((a, b) => a + b, 0));
  // Compare struct by struct so a failure names the struct and the first differing byte.
  let at = 0;
  for (const name of ['event', 'value', 'packed_rec', 'hist', 'bits']) {
    const size = generated.layouts.records.find((r) => r.name === name)!.size;
    const a = kernel.subarray(at, at + size);
    const b = guest.subarray(at, at + size);
    const diff = a.findIndex((byte, i) => byte !== b[i]);
    assert.equal(diff, -1, `${name}: byte ${diff} is 0x${a[diff]?.toString(16)} in the kernel layout, 0x${b[diff]?.toString(16)} on wasm32`);
    at += size;
  }
  assert.equal(guest.length, kernel.length);
});

test('an object linked by bpftool gen object (as the toolchain builds it) gives the same header', { skip }, (t) => {
  const { dir, generated } = setup(t);
  const linked = join(dir, 'linked.bpf.o');
  const r = spawnSync('bpftool', ['gen', 'object', linked, join(dir, 'layouts.bpf.o')], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    t.skip(`bpftool gen object is not usable here: ${r.error?.message ?? r.stderr}`);
    return;
  }
  const again = generateWasmLayouts(readFileSync(linked), { structs: sharedStructNames(sharedHeader), sharedHeader, guard: 'LAYOUTS_WASM_H' });
  assert.equal(again.cHeader, generated.cHeader);
  assert.equal(again.tsModule, generated.tsModule);
});

test('a struct missing from BTF is a clear WASMBPF_BTF_STRUCT_MISSING error', { skip }, (t) => {
  const { object } = setup(t);
  assert.throws(
    () => generateWasmLayouts(object, { structs: ['event', 'not_in_btf'] }),
    (e: unknown) =>
      e instanceof BtfStructMissingError &&
      e.code === 'WASMBPF_BTF_STRUCT_MISSING' &&
      e.structName === 'struct not_in_btf' &&
      /struct not_in_btf is not in the BTF of the eBPF object/.test(e.message) &&
      /WASMBPF_SHARED\(struct not_in_btf\);/.test(e.message) &&
      /struct not_in_btf unused_not_in_btf __attribute__\(\(unused\)\);/.test(e.message) &&
      /struct event/.test(e.message),
  );
  assert.throws(
    () => generateWasmLayouts(object, { structs: ['task_struct'] }),
    (e: unknown) => e instanceof BtfStructMissingError && /only declared/.test(e.message),
  );
  assert.throws(
    () => generateWasmLayouts(object, { structs: ['union event'] }),
    (e: unknown) => e instanceof BtfStructMissingError && /union event is not in the BTF/.test(e.message),
  );
  assert.throws(() => generateWasmLayouts(object, { structs: [] }), BtfLayoutError);
  assert.throws(() => generateWasmLayouts(object, { structs: ['event'], guard: 'not a guard' }), BtfLayoutError);
});

test('only the requested structs and what they embed are generated', { skip }, (t) => {
  const { object } = setup(t);
  const { cHeader, layouts } = generateWasmLayouts(object, { structs: ['struct slot'] });
  assert.deepEqual(layouts.records.map((r) => r.name), ['slot']);
  assert.ok(cHeader.includes('#ifndef WASMBPF_BTF_LAYOUTS_H'));
  assert.ok(!cHeader.includes('struct event'));
  assert.ok(!cHeader.includes('TASK_COMM_LEN'), 'no shared header given, no defines');
});

test('a big-endian object is refused for the wasm32 header', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmbpf-btf-c-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'be.o');
  const r = spawnSync(CLANG, ['-g', '-O2', '-target', 'bpfeb', '-c', join(FIXTURES, 'layouts.bpf.c'), '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.throws(
    () => generateWasmLayouts(readFileSync(out), { structs: ['event'] }),
    (e: unknown) => e instanceof BtfLayoutError && e.code === 'WASMBPF_BTF_LAYOUT' && /big-endian/.test(e.message),
  );
});
