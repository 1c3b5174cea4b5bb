// Records which CPU architecture an eBPF object was built for, in the object itself: an ELF
// section `.wasmbpf.arch` holding the kernel-style name ("arm64\0"). Every eBPF ELF says
// e_machine EM_BPF whatever it was built for, and a pt_regs-reading program built for the
// wrong CPU loads fine and reads garbage, so the runtime needs this to refuse it.
// oci-spec/ebpf-object.ts reads it back (readObjectArch).
//
// The section's type is SHT_STRTAB on purpose: libbpf (1.1 and later) skips string tables
// silently, where an unknown PROGBITS section makes it log "skipping unrecognized data
// section" on every load, and bpftool gen skeleton/object accept it unchanged.
import { writeFile, unlink } from 'node:fs/promises';
import { ARCH_SECTION } from '../../oci-spec/ebpf-object.ts';
import type { Arch } from '../../oci-spec/arch.ts';
import { run } from './exec.ts';

const SHT_STRTAB = 3;

/** Copies `input` to `output` with the architecture marker added (and `extra` llvm-objcopy arguments: btfgen.ts). */
export async function addArchMarker(input: string, output: string, arch: Arch, extra: readonly string[] = []): Promise<void> {
  const contents = `${output}.arch`;
  await writeFile(contents, `${arch}\0`);
  try {
    await run('llvm-objcopy-19', [
      '--add-section', `${ARCH_SECTION}=${contents}`,
      '--set-section-type', `${ARCH_SECTION}=${SHT_STRTAB}`,
      ...extra,
      input, output,
    ], `marking ${output} as ${arch}`);
  } finally {
    await unlink(contents).catch(() => undefined);
  }
}
