// Builds what the shim's integration tests run: the probe module (clang-19, wasm32-wasi), the
// execsnoop example image (bin/wasmbpf build), and images around them, each once per process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootfsImage } from './ctr-image.ts';
import { buildExampleImage } from './example-image.ts';

const here = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/shim');
export const FIXTURE_DIR = mkdtempSync('/tmp/wbshimfx-');
process.on('exit', () => rmSync(FIXTURE_DIR, { recursive: true, force: true }));

let probe: Uint8Array | undefined;
export function probeWasm(): Uint8Array {
  if (!probe) {
    const out = join(FIXTURE_DIR, 'probe.wasm');
    execFileSync('clang-19', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', out, join(here, 'probe.c')]);
    probe = readFileSync(out);
  }
  return probe;
}

/** An ordinary image (runwasi style) whose rootfs holds /probe.wasm, Entrypoint ["/probe.wasm"]. */
export function probeImage(name: string): string {
  return rootfsImage(name, join(FIXTURE_DIR, `${name.replace(/\W/g, '_')}.tar`), { 'probe.wasm': probeWasm() }, ['/probe.wasm']);
}

let native: Uint8Array | undefined;
/** A static native executable (gcc -static): what the shim must hand to runc. */
export function nativeBinary(): Uint8Array {
  if (!native) {
    const out = join(FIXTURE_DIR, 'native');
    execFileSync('gcc', ['-static', '-O2', '-o', out, join(here, 'native.c')]);
    native = readFileSync(out);
  }
  return native;
}

/** An ordinary native image: /native, Entrypoint ["/native"]. */
export function nativeImage(name: string): string {
  return rootfsImage(name, join(FIXTURE_DIR, `${name.replace(/\W/g, '_')}.tar`), { native: nativeBinary() }, ['/native']);
}

let execsnoop: string | undefined;
/** examples/execsnoop built by `wasmbpf build` (example-image.ts), once per process. */
export function execsnoopImage(name: string): string {
  execsnoop ??= buildExampleImage('execsnoop', name, FIXTURE_DIR);
  return execsnoop;
}
