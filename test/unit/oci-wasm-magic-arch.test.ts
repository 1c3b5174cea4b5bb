// The shared building blocks every layer uses to recognise a Wasm module and the host's CPU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostArch, isWasmModule, startsWithWasmMagic, UnsupportedArchError } from '../../oci-spec/index.ts';

test('a Wasm module is the magic plus a full header; anything else is not', () => {
  assert.equal(isWasmModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), true);
  assert.equal(isWasmModule(Uint8Array.from([0, 0x61, 0x73, 0x6d])), false, 'magic without the version is truncated');
  assert.equal(isWasmModule(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])), false, 'an ELF executable');
  assert.equal(startsWithWasmMagic(Uint8Array.from([0, 0x61, 0x73, 0x6d])), true);
  assert.equal(startsWithWasmMagic(Uint8Array.from([0, 0x61])), false);
});

test('the host architecture comes from Node\'s name, and an unknown one is an error, never x86_64', () => {
  assert.equal(hostArch('x64'), 'x86_64');
  assert.equal(hostArch('arm64'), 'arm64');
  assert.throws(() => hostArch('mips'), (e: unknown) => e instanceof UnsupportedArchError && e.code === 'WASMBPF_UNSUPPORTED_ARCH' && /'mips'/.test(e.message));
});
