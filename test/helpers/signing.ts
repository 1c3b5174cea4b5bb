// Shared by the signing tests: keys made by `wasmbpf key generate`, a tiny image whose module
// exits with a chosen code (so a verified run is visible without a compiler), pushed to a real
// registry, and `wasmbpf sign`.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTool } from '../../image/build.ts';
import { pushImage } from '../../image/push.ts';
import { writeToolFiles } from './image-tool-files.ts';
import { wasmbpf } from './registry.ts';

export const PASSWORD = 'correct horse battery staple';

export async function workdir(t: { after: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-signing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `wasmbpf key generate` into dir/PREFIX.{key,pub}. */
export async function generateKey(dir: string, prefix: string): Promise<{ key: string; pub: string }> {
  const result = await wasmbpf(['key', 'generate', '--output-key-prefix', join(dir, prefix)], { WASMBPF_KEY_PASSWORD: PASSWORD });
  assert.equal(result.code, 0, result.stderr);
  return { key: join(dir, `${prefix}.key`), pub: join(dir, `${prefix}.pub`) };
}

/**
 * A module that only calls proc_exit(code): enough to see a verified image really run, with no
 * compiler. Types (i32)->() and ()->(); imports wasi proc_exit; exports memory and _start.
 */
export function exitingWasm(code: number): Uint8Array {
  const text = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2, 0x60, 1, 0x7f, 0, 0x60, 0, 0]),
    ...section(2, [1, ...text('wasi_snapshot_preview1'), ...text('proc_exit'), 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...text('memory'), 0x02, 0, ...text('_start'), 0x00, 1]),
    ...section(10, [1, 6, 0, 0x41, code, 0x10, 0, 0x0b]),
  ]);
}

/** Packs a small tool (module `wasm`) into `home` and pushes it as `name`; returns the manifest digest. */
export async function pushTool(dir: string, name: string, wasm: Uint8Array): Promise<string> {
  const files = await writeToolFiles('signed', []);
  try {
    await writeFile(files.tool.wasmPath, wasm);
    const home = join(dir, 'builder');
    await packTool(files.tool, { tag: name, home });
    return (await pushImage(name, { home })).digest;
  } finally {
    await files.cleanup();
  }
}

export async function sign(name: string, key: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return wasmbpf(['sign', '--key', key, name], { WASMBPF_KEY_PASSWORD: PASSWORD });
}
