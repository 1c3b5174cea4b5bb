import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findInRootfs, resolveModule } from '../../container/module-source.ts';
import { ModuleSourceError } from '../../container/errors.ts';
import type { ContainerImages } from '../../container/container-images.ts';

function rootfs(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimrootfs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'app'));
  fs.writeFileSync(path.join(dir, 'usr/bin/tool.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(dir, 'usr/bin/native'), '#!/bin/sh\n');
  fs.symlinkSync('/usr/bin/tool.wasm', path.join(dir, 'app/abs-link.wasm'));
  fs.symlinkSync('../usr/bin/tool.wasm', path.join(dir, 'app/rel-link.wasm'));
  fs.symlinkSync('/etc/hostname', path.join(dir, 'app/escape'));
  return dir;
}

test('commands resolve inside the rootfs: absolute, relative to cwd, on PATH, through links', (t) => {
  const root = rootfs(t);
  const tool = path.join(root, 'usr/bin/tool.wasm');
  assert.equal(findInRootfs(root, '/usr/bin/tool.wasm', '/', []), tool);
  assert.equal(findInRootfs(root, 'bin/tool.wasm', '/usr', []), tool);
  assert.equal(findInRootfs(root, 'tool.wasm', '/', ['PATH=/nope:/usr/bin']), tool);
  assert.equal(findInRootfs(root, '/app/abs-link.wasm', '/', []), tool);
  assert.equal(findInRootfs(root, '/app/rel-link.wasm', '/', []), tool);
  assert.equal(findInRootfs(root, '/../../usr/bin/tool.wasm', '/', []), tool, '.. stops at the rootfs');
  assert.equal(findInRootfs(root, '/missing.wasm', '/', []), undefined);
});

test('a link out of the rootfs is read inside it, never on the host', (t) => {
  const root = rootfs(t);
  assert.equal(findInRootfs(root, '/app/escape', '/', []), undefined); // no /etc/hostname inside
});

test('Wasm in the rootfs is a Wasm task; a native program is not; a missing .wasm is a clear error', async (t) => {
  const root = rootfs(t);
  const noImage = () => ({ containerImage: async () => '' }) as unknown as ContainerImages;
  const lookup = (args: string[]) => ({ id: 'c', spec: { process: { args, env: ['PATH=/usr/bin'] } }, rootfs: root, hostArch: 'x86_64' as const, api: noImage });
  const wasm = await resolveModule(lookup(['tool.wasm', '-x']));
  assert.deepEqual(wasm?.args, ['tool.wasm', '-x']);
  assert.equal(wasm?.origin, 'rootfs file tool.wasm');
  assert.equal(await resolveModule(lookup(['native'])), undefined);
  await assert.rejects(resolveModule(lookup(['/gone.wasm'])), (e: unknown) => e instanceof ModuleSourceError && /module \/gone\.wasm/.test(e.message));
});

test('the first word names an artifact image\'s module as is, by base name, with or without .wasm; flags and other names do not', async () => {
  const { namesModule } = await import('../../container/module-source.ts');
  for (const word of ['execsnoop', 'execsnoop.wasm', '/execsnoop', '/usr/bin/execsnoop.wasm']) assert.ok(namesModule(word, 'execsnoop'), word);
  for (const word of ['-u', '', 'opensnoop', '/nothere.wasm', 'execsnoop.wasm.bak']) assert.ok(!namesModule(word, 'execsnoop'), word);
});
