// vmlinux.h is made once per kernel: the build folder keeps it with a stamp of the kernel's BTF,
// $WASMBPF_HOME/cache (here an explicit cacheDir) serves other tools' builds, and another BTF
// (another kernel) makes a new one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureVmlinuxH, KERNEL_BTF } from '../../sdk/toolchain/vmlinux.ts';

test('vmlinux.h is cached per kernel BTF', { timeout: 60000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-vmlinux-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cacheDir = path.join(dir, 'cache');
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  for (const d of [a, b]) mkdirSync(d);

  const first = await ensureVmlinuxH(a, { cacheDir });
  assert.equal(first, path.join(a, 'vmlinux.h'));
  const text = readFileSync(first, 'utf8');
  assert.match(text, /struct task_struct \{/);
  const cached = readdirSync(cacheDir);
  assert.equal(cached.length, 1);
  assert.match(cached[0]!, /^vmlinux-[0-9a-f]{16}\.h$/);

  // Same kernel, same folder: kept as is (not rewritten).
  const mtime = statSync(first).mtimeMs;
  await ensureVmlinuxH(a, { cacheDir });
  assert.equal(statSync(first).mtimeMs, mtime);

  // Same kernel, another tool: copied from the cache, byte for byte.
  await ensureVmlinuxH(b, { cacheDir });
  assert.equal(readFileSync(path.join(b, 'vmlinux.h'), 'utf8'), text);

  // Another kernel's BTF (a small object's, standing in): a new vmlinux.h and a second cache entry.
  const src = path.join(dir, 'tiny.bpf.c');
  writeFileSync(src, 'struct only_here { int x; };\nstruct only_here g;\n');
  const obj = path.join(dir, 'tiny.o');
  execFileSync('clang-19', ['-g', '-O2', '-target', 'bpf', '-c', src, '-o', obj]);
  await ensureVmlinuxH(a, { cacheDir, btfPath: obj });
  assert.match(readFileSync(first, 'utf8'), /struct only_here \{/);
  assert.equal(readdirSync(cacheDir).length, 2);
  assert.ok(KERNEL_BTF.startsWith('/sys/kernel/btf/'));
});

test('a missing BTF file is a clear error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-vmlinux-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(ensureVmlinuxH(dir, { btfPath: path.join(dir, 'nope') }), (err: { code?: string; message: string }) =>
    err.code === 'WASMBPF_COMPILE' && /cannot read the kernel's BTF at .*nope \(a kernel built with CONFIG_DEBUG_INFO_BTF/.test(err.message));
});
