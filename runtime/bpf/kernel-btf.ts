// Kernels without BTF of their own. libbpf relocates an object's CO-RE accesses against
// /sys/kernel/btf/vmlinux; where that is missing, an object built with the build file's "btf"
// carries the part of this kernel's BTF it needs (section .wasmbpf.btf.RELEASE, sdk/toolchain/
// btfgen.ts). This picks the section for `uname -r` and writes it to a file for libbpf's
// btf_custom_path, which libbpf reads at load; the file goes when the object is loaded or closed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readObjectBtfs } from '../../oci-spec/ebpf-object.ts';

export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

export interface BtfFallback {
  /** The file to give libbpf as btf_custom_path. */
  path: string;
  release: string;
  /** Removes the file (idempotent). */
  remove(): void;
}

/** What an object carries for kernels without BTF, for error messages: its releases, or []. */
export function objectBtfReleases(bytes: Uint8Array): string[] {
  try {
    return [...readObjectBtfs(bytes).keys()];
  } catch {
    return []; // not an ELF we can read: libbpf will say what is wrong with it
  }
}

/**
 * The BTF file to load `bytes` with: undefined when the kernel has its own BTF (at `kernelBtf`)
 * or the object carries none for this kernel release (libbpf then fails to find kernel BTF, and
 * btfHint explains).
 */
export function btfFallback(bytes: Uint8Array, kernelBtf = KERNEL_BTF, release = os.release()): BtfFallback | undefined {
  if (fs.existsSync(kernelBtf)) return undefined;
  let btf: Uint8Array | undefined;
  try {
    btf = readObjectBtfs(bytes).get(release);
  } catch {
    return undefined;
  }
  if (!btf) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-btf-'));
  const file = path.join(dir, `${release}.btf`);
  fs.writeFileSync(file, btf);
  let removed = false;
  return {
    path: file,
    release,
    remove: () => {
      if (removed) return;
      removed = true;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why an object may fail to load for want of BTF, or '' when the kernel has its own. */
export function btfHint(bytes: Uint8Array, kernelBtf = KERNEL_BTF, release = os.release()): string {
  if (fs.existsSync(kernelBtf)) return '';
  const has = objectBtfReleases(bytes);
  return `; this kernel (${release}) has no BTF at ${kernelBtf} and the object carries none for it` +
    (has.length ? ` (it has BTF for: ${has.join(', ')})` : ' (build it with "btf" in wasmbpf.json: docs/portability.md)');
}
