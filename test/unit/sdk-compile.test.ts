// compileTool without root: a scaffolded tool builds into a module and one marked object per
// architecture, with the struct layouts generated from BTF; failures name the step and carry
// the compiler's words; and the module imports only what its headers promise.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readObjectArch } from '../../oci-spec/ebpf-object.ts';
import { compileTool } from '../../sdk/toolchain/compile.ts';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { BuildFileError, CompileError } from '../../sdk/toolchain/errors.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-compile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function importModules(wasmPath: string): string[] {
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  return [...new Set(WebAssembly.Module.imports(mod).map((i) => i.module))].sort();
}

test('a scaffolded tool compiles: module, x86_64 and arm64 objects, layouts, skeleton', { timeout: 60000 }, async (t) => {
  const parent = tmp(t);
  const { dir } = await scaffoldTool('demo-tool', parent);
  const out = await compileTool(dir);
  assert.equal(out.name, 'demo-tool');
  assert.equal(out.dir, dir);
  assert.equal(out.wasmPath, path.join(dir, 'build', 'demo-tool.wasm'));
  assert.deepEqual(out.objects.map((o) => [o.arch, o.name, path.basename(o.path)]), [
    ['x86_64', 'demo-tool.bpf.o', 'demo-tool.x86_64.bpf.o'],
    ['arm64', 'demo-tool.bpf.o', 'demo-tool.arm64.bpf.o'],
  ]);
  for (const o of out.objects) assert.equal(readObjectArch(readFileSync(o.path)), o.arch);
  assert.deepEqual(out.args, []);

  const build = path.join(dir, 'build');
  assert.match(readFileSync(path.join(build, 'demo-tool.skel.h'), 'utf8'), /struct demo_tool_bpf \{/);
  const layouts = readFileSync(path.join(build, 'demo-tool.wasm.h'), 'utf8');
  assert.match(layouts, /_Static_assert\(sizeof\(struct event\) == 32/);
  assert.match(layouts, /#define TASK_COMM_LEN 16/);
  assert.ok(existsSync(path.join(build, 'demo-tool.layout.ts')));
  assert.match(readFileSync(path.join(build, 'vmlinux.h'), 'utf8'), /struct task_struct \{/);

  const mod = new WebAssembly.Module(readFileSync(out.wasmPath));
  const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
  assert.ok(exports.includes('__indirect_function_table'), 'the host calls sample_fn through the table');
  assert.ok(exports.includes('_start'));
  // libbpf-wasm.h alone: only wasm_bpf and WASI, so the module also runs on wasm-bpf's runtime.
  assert.deepEqual(importModules(out.wasmPath), ['wasi_snapshot_preview1', 'wasm_bpf']);

  // A second build reuses vmlinux.h (same kernel) and gives the same outputs.
  const again = await compileTool(dir, { arches: ['x86_64'] });
  assert.deepEqual(again.objects.map((o) => o.arch), ['x86_64']);
});

test('a guest that uses wasmbpf.h imports the wasmbpf_v1 extensions', { timeout: 60000 }, async (t) => {
  const { dir } = await scaffoldTool('ext', tmp(t));
  const guest = path.join(dir, 'ext.c');
  writeFileSync(guest, readFileSync(guest, 'utf8')
    .replace('#include "libbpf-wasm.h"', '#include "wasmbpf.h"')
    .replace('skel->rodata->targ_ppid = (__u32)ppid;', 'skel->rodata->targ_ppid = (__u32)ppid;\n\tbpf_program__set_autoload(skel->progs.handle_exec, true);'));
  const out = await compileTool(dir, { arches: [] });
  assert.deepEqual(importModules(out.wasmPath), ['wasi_snapshot_preview1', 'wasm_bpf', 'wasmbpf_v1']);
});

test('an eBPF compile error fails the build with clang\'s message', { timeout: 60000 }, async (t) => {
  const { dir } = await scaffoldTool('broken', tmp(t));
  const src = path.join(dir, 'broken.bpf.c');
  writeFileSync(src, readFileSync(src, 'utf8').replace('return 0;\n}', 'return undefined_thing;\n}'));
  await assert.rejects(compileTool(dir), (err: unknown) => {
    assert.ok(err instanceof CompileError);
    assert.equal(err.code, 'WASMBPF_COMPILE');
    assert.match(err.message, /compiling broken\.bpf\.c for x86_64: clang-19 exited with 1/);
    assert.match(err.message, /use of undeclared identifier 'undefined_thing'/);
    return true;
  });
  assert.ok(!existsSync(path.join(dir, 'build', 'broken.wasm')), 'no module from a failed build');
});

test('a shared struct with long and a pointer gets its 64-bit kernel layout on wasm32', { timeout: 60000 }, async (t) => {
  const { dir } = await scaffoldTool('wide', tmp(t));
  // long and pointers are 4 bytes on wasm32 and 8 in the kernel: included as written, the
  // guest would read every member after them at the wrong offset.
  const header = path.join(dir, 'wide.h');
  writeFileSync(header, readFileSync(header, 'utf8').replace('__u32 pid;', '__u32 pid;\n\tlong when;\n\tvoid *where;'));
  const guest = path.join(dir, 'wide.c');
  writeFileSync(guest, readFileSync(guest, 'utf8').replace('#include "wide.skel.h"', '#include "wide.skel.h"\n_Static_assert(offsetof(struct event, comm) == 40, "comm where the kernel puts it");'));
  await compileTool(dir, { arches: [] }); // the generated static asserts and the guest's hold
  const layouts = readFileSync(path.join(dir, 'build', 'wide.wasm.h'), 'utf8');
  assert.match(layouts, /int64_t when;/);
  assert.match(layouts, /uint64_t where;/);
  assert.match(layouts, /_Static_assert\(sizeof\(struct event\) == 56/);
});

test('missing sources named in wasmbpf.json are a build file error', async (t) => {
  const { dir } = await scaffoldTool('gone', tmp(t));
  rmSync(path.join(dir, 'gone.c'));
  await assert.rejects(compileTool(dir), (err: unknown) => err instanceof BuildFileError && /gone\.c: not found \(named in wasmbpf\.json\)/.test(err.message));
});

test('scaffoldTool never overwrites and rejects bad names', async (t) => {
  const parent = tmp(t);
  await scaffoldTool('once', parent);
  await assert.rejects(scaffoldTool('once', parent), (err: { code?: string; message: string }) => err.code === 'WASMBPF_SCAFFOLD' && /already exists/.test(err.message));
  await assert.rejects(scaffoldTool('../escape', parent), (err: { code?: string }) => err.code === 'WASMBPF_SCAFFOLD');
  assert.ok(!existsSync(path.join(path.dirname(parent), 'escape')));
});

test('the objects do not depend on the working directory or carry the tool folder\'s path', { timeout: 120000 }, async (t) => {
  const parent = tmp(t);
  const { dir } = await scaffoldTool('cwd-tool', parent);
  const cwd = process.cwd();
  t.after(() => process.chdir(cwd));
  const objects: Buffer[] = [];
  for (const [i, where] of [parent, os.tmpdir()].entries()) {
    process.chdir(where);
    const out = await compileTool(dir, { outDir: path.join(dir, 'build'), arches: ['x86_64'] });
    const object = readFileSync(out.objects.find((o) => o.arch === 'x86_64')!.path);
    assert.equal(object.includes(parent), false, `compile ${i}: the object names ${parent}`);
    objects.push(object);
  }
  assert.ok(objects[0]!.equals(objects[1]!), 'compiling from another working directory changed the object');
});
