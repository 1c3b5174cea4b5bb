// The four bytes every WebAssembly binary starts with ("\0asm"), and the check every layer uses
// to tell a Wasm module from anything else (an image layout, a native executable, a corrupt layer).

export const WASM_MAGIC: readonly number[] = [0x00, 0x61, 0x73, 0x6d];

/** Whether bytes begin with the Wasm magic (and hold at least the 8-byte header). */
export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && startsWithWasmMagic(bytes);
}

/** Whether the first four bytes read from a file are the Wasm magic. */
export function startsWithWasmMagic(head: Uint8Array): boolean {
  return head.length >= 4 && WASM_MAGIC.every((b, i) => head[i] === b);
}
