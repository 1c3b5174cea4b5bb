// CPU architecture names. eBPF objects are architecture specific (pt_regs layout, syscall
// wrappers); Wasm modules are not. Three vocabularies meet here: Node's process.arch, the Linux
// kernel's (__TARGET_ARCH_*, what tool authors know) and OCI/Go's (platform.architecture).
import { WasmbpfError } from '../errors/index.ts';

/** Kernel-style names wasmbpf uses everywhere user-visible (annotations, errors, build files). */
export const ARCHES = ['x86_64', 'arm64', 's390x', 'riscv64', 'ppc64le'] as const;
export type Arch = (typeof ARCHES)[number];

const FROM_NODE: Record<string, Arch> = {
  x64: 'x86_64',
  arm64: 'arm64',
  s390x: 's390x',
  riscv64: 'riscv64',
  ppc64: 'ppc64le',
};

const TO_OCI: Record<Arch, string> = {
  x86_64: 'amd64',
  arm64: 'arm64',
  s390x: 's390x',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le',
};

/** The value libbpf's bpf_tracing.h expects in -D__TARGET_ARCH_xxx. */
const TO_TARGET_ARCH: Record<Arch, string> = {
  x86_64: 'x86',
  arm64: 'arm64',
  s390x: 's390',
  riscv64: 'riscv',
  ppc64le: 'powerpc',
};

const ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64', amd64: 'x86_64', x64: 'x86_64', x86: 'x86_64',
  arm64: 'arm64', aarch64: 'arm64',
  s390x: 's390x', s390: 's390x',
  riscv64: 'riscv64', riscv: 'riscv64',
  ppc64le: 'ppc64le', ppc64: 'ppc64le', powerpc: 'ppc64le',
};

/** Accepts any of the three vocabularies; undefined for an unknown name. */
export function normalizeArch(name: string): Arch | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

function archFromNode(nodeArch: string): Arch | undefined {
  return FROM_NODE[nodeArch];
}

export function ociArchitecture(arch: Arch): string {
  return TO_OCI[arch];
}

export function targetArchDefine(arch: Arch): string {
  return `__TARGET_ARCH_${TO_TARGET_ARCH[arch]}`;
}

/**
 * The wasmbpf name of the machine this runs on (Node's process.arch by default): the one place
 * that turns it into an Arch, so no caller can silently assume x86_64 where Node runs elsewhere.
 */
export function hostArch(nodeArch: string = process.arch): Arch {
  const arch = archFromNode(nodeArch);
  if (!arch) throw new UnsupportedArchError(nodeArch);
  return arch;
}

export class UnsupportedArchError extends WasmbpfError {
  readonly code = 'WASMBPF_UNSUPPORTED_ARCH';
  constructor(readonly nodeArch: string) {
    super(`wasmbpf does not know the CPU architecture '${nodeArch}' (it knows ${ARCHES.join(', ')})`);
  }
}
