// Whether a file is a Wasm module, from its first four bytes: how `wasmbpf run` and target.ts
// tell a bare module from an image layout, and the shim's container layer a Wasm file of a
// rootfs from a native executable, without reading the whole file.
import fs from 'node:fs';
import { startsWithWasmMagic } from '../oci-spec/wasm-magic.ts';

/** False too when the file cannot be read. */
export function isWasmFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    return startsWithWasmMagic(head);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
