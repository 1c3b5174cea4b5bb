// wasmbpf.json validation: what is accepted, the defaults, and a clear error naming the field
// for everything else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readBuildFile, validateBuildFile } from '../../sdk/toolchain/build-file.ts';
import { BuildFileError } from '../../sdk/toolchain/errors.ts';

test('a complete build file is accepted as written', () => {
  const bf = validateBuildFile({ name: 'execsnoop', bpf: 'execsnoop.bpf.c', guest: ['execsnoop.c', 'util.c'], arches: ['x86_64', 'arm64'], args: ['-u', '0'] });
  assert.deepEqual(bf, { name: 'execsnoop', bpf: 'execsnoop.bpf.c', guest: ['execsnoop.c', 'util.c'], arches: ['x86_64', 'arm64'], args: ['-u', '0'], btf: [] });
});

test('btf: kernels without BTF of their own, by arch and release', () => {
  const bf = validateBuildFile({ name: 't', btf: [{ arch: 'amd64', release: '6.1.0-57-amd64', path: 'btf/vmlinux-6.1' }, { arch: 'arm64', release: '5.10.0-32-arm64', path: '/srv/btf/5.10.btf' }] });
  assert.deepEqual(bf.btf, [
    { arch: 'x86_64', release: '6.1.0-57-amd64', path: 'btf/vmlinux-6.1' },
    { arch: 'arm64', release: '5.10.0-32-arm64', path: '/srv/btf/5.10.btf' },
  ]);
});

test('defaults follow the tool name; arch aliases are normalized and deduplicated', () => {
  const bf = validateBuildFile({ name: 'my-tool', arches: ['amd64', 'aarch64', 'x86_64'] });
  assert.equal(bf.bpf, 'my-tool.bpf.c');
  assert.deepEqual(bf.guest, ['my-tool.c']);
  assert.deepEqual(bf.arches, ['x86_64', 'arm64']);
  assert.deepEqual(bf.args, []);
});

const BAD: [string, unknown, RegExp][] = [
  ['not an object', [], /must hold a JSON object/],
  ['no name', { bpf: 'x.bpf.c' }, /"name" must be a tool name/],
  ['a name with a slash', { name: 'a/b' }, /"name" must be a tool name/],
  ['a name starting with a digit', { name: '1tool' }, /"name"/],
  ['an unknown field', { name: 't', sources: [] }, /unknown field "sources"/],
  ['bpf not .bpf.c', { name: 't', bpf: 't.c' }, /"bpf" must name a \.bpf\.c file/],
  ['bpf outside the folder', { name: 't', bpf: '../x.bpf.c' }, /inside the tool folder/],
  ['bpf absolute', { name: 't', bpf: '/etc/x.bpf.c' }, /inside the tool folder/],
  ['guest empty', { name: 't', guest: [] }, /"guest" must be a non-empty array/],
  ['guest not .c', { name: 't', guest: ['t.cpp'] }, /"guest\[0\]" must name a \.c file/],
  ['bpf also a guest', { name: 't', bpf: 't.bpf.c', guest: ['t.bpf.c'] }, /both the eBPF source and a guest source/],
  ['unknown arch', { name: 't', arches: ['sparc'] }, /unknown architecture "sparc"/],
  ['arches not an array', { name: 't', arches: 'x86_64' }, /"arches" must be an array/],
  ['args not strings', { name: 't', args: [1] }, /"args" must be an array of strings/],
  ['btf not an array', { name: 't', btf: {} }, /"btf" must be an array/],
  ['btf entry without arch', { name: 't', btf: [{ release: '6.1.0', path: 'x' }] }, /"btf"\[0\]: unknown architecture undefined/],
  ['btf release with a slash', { name: 't', btf: [{ arch: 'x86_64', release: '6.1/x', path: 'x' }] }, /"btf"\[0\]: "release" must be a kernel release/],
  ['btf without a path', { name: 't', btf: [{ arch: 'x86_64', release: '6.1.0' }] }, /"btf"\[0\]: "path" must name/],
  ['btf with an unknown field', { name: 't', btf: [{ arch: 'x86_64', release: '6.1.0', path: 'x', kernel: 1 }] }, /unknown field "kernel"/],
];

for (const [what, raw, message] of BAD) {
  test(`rejected: ${what}`, () => {
    assert.throws(() => validateBuildFile(raw), (err: unknown) => {
      assert.ok(err instanceof BuildFileError);
      assert.equal(err.code, 'WASMBPF_BUILD_FILE');
      assert.match(err.message, message);
      return true;
    });
  });
}

test('readBuildFile: a missing file and invalid JSON are clear errors', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-buildfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(readBuildFile(dir), (err: BuildFileError) => err.code === 'WASMBPF_BUILD_FILE' && /not found \(is this a tool folder/.test(err.message));
  writeFileSync(path.join(dir, 'wasmbpf.json'), '{"name": "t",');
  await assert.rejects(readBuildFile(dir), (err: BuildFileError) => err.code === 'WASMBPF_BUILD_FILE' && /not valid JSON/.test(err.message) && err.cause instanceof SyntaxError);
  writeFileSync(path.join(dir, 'wasmbpf.json'), '{"name": "t"}');
  assert.equal((await readBuildFile(dir)).name, 't');
  const aFile = path.join(dir, 't.c');
  writeFileSync(aFile, '');
  await assert.rejects(readBuildFile(aFile), (err: BuildFileError) => err.code === 'WASMBPF_BUILD_FILE' && err.message === `${aFile} is not a folder: give the tool folder that holds wasmbpf.json`);
});
