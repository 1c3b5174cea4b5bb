// Min-CO-RE BTF in the object, for kernels without BTF of their own (the build file's "btf";
// Inspektor Gadget's btfgen does the same with BTFHub's files): `bpftool gen min_core_btf`
// keeps, of each named kernel's full BTF, the types the object's CO-RE relocations touch, and
// llvm-objcopy-19 adds the result as section `.wasmbpf.btf.RELEASE` (oci-spec/ebpf-object.ts).
// The runtime hands it to libbpf (btf_custom_path) where /sys/kernel/btf/vmlinux is missing.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BTF_SECTION_PREFIX } from '../../oci-spec/ebpf-object.ts';
import type { Arch } from '../../oci-spec/arch.ts';
import type { BtfSource } from './build-file.ts';
import { BuildFileError } from './errors.ts';
import { run } from './exec.ts';

const SHT_STRTAB = 3; // as the arch marker: libbpf skips string tables silently

/** Adds, in place, one BTF section to `object` per source of its architecture; a no-op for none. */
export async function addMinCoreBtf(object: string, arch: Arch, sources: readonly BtfSource[], toolDir: string): Promise<void> {
  const mine = sources.filter((s) => s.arch === arch);
  if (!mine.length) return;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wasmbpf-btfgen-'));
  try {
    const sections: string[] = [];
    for (const [i, s] of mine.entries()) {
      const full = path.resolve(toolDir, s.path);
      if (!existsSync(full)) throw new BuildFileError(`wasmbpf.json: "btf" for ${s.release} (${arch}): ${full} not found`);
      const out = path.join(tmp, `${i}.btf`);
      await run('bpftool', ['gen', 'min_core_btf', full, out, object], `generating the BTF of ${s.release} for ${path.basename(object)}`);
      const name = `${BTF_SECTION_PREFIX}${s.release}`;
      sections.push('--add-section', `${name}=${out}`, '--set-section-type', `${name}=${SHT_STRTAB}`);
    }
    await run('llvm-objcopy-19', [...sections, object], `adding BTF sections to ${path.basename(object)}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
