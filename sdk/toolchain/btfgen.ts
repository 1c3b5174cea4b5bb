// Min-CO-RE BTF in the object, for kernels without BTF of their own (the build file's "btf";
// Inspektor Gadget's btfgen does the same with BTFHub's files): `bpftool gen min_core_btf`
// keeps, of each named kernel's full BTF, the types the object's CO-RE relocations touch, and
// the arch marker's llvm-objcopy-19 run adds each as section `.wasmbpf.btf.RELEASE`
// (oci-spec/ebpf-object.ts). The runtime hands it to libbpf (btf_custom_path) where
// /sys/kernel/btf/vmlinux is missing. They are added in the marker's own objcopy run: a later
// llvm-objcopy rewrites string-table sections it did not add, emptying them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BTF_SECTION_PREFIX } from '../../oci-spec/ebpf-object.ts';
import type { Arch } from '../../oci-spec/arch.ts';
import type { BtfSource } from './build-file.ts';
import { BuildFileError } from './errors.ts';
import { run } from './exec.ts';

const SHT_STRTAB = 3; // as the arch marker: libbpf skips string tables silently

/**
 * Writes into `tmpDir` the min-CO-RE BTF of `object` for each source of its architecture, and
 * returns the llvm-objcopy arguments that add them as sections ([] for none).
 */
export async function minCoreBtfSections(object: string, arch: Arch, sources: readonly BtfSource[], toolDir: string, tmpDir: string): Promise<string[]> {
  const args: string[] = [];
  for (const [i, s] of sources.filter((x) => x.arch === arch).entries()) {
    const full = path.resolve(toolDir, s.path);
    if (!existsSync(full)) throw new BuildFileError(`wasmbpf.json: "btf" for ${s.release} (${arch}): ${full} not found`);
    const out = path.join(tmpDir, `${arch}-${i}.btf`);
    await run('bpftool', ['gen', 'min_core_btf', full, out, object], `generating the BTF of ${s.release} for ${path.basename(object)}`);
    const name = `${BTF_SECTION_PREFIX}${s.release}`;
    args.push('--add-section', `${name}=${out}`, '--set-section-type', `${name}=${SHT_STRTAB}`);
  }
  return args;
}
