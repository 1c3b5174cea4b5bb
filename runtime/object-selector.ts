// Arch-aware object selection ("arch-aware relocation" in the paper). A wasm-bpf style module
// embeds its eBPF object and hands those bytes to wasm_load_bpf_object. When the image also
// carries an object for the host's architecture with the same programs and maps, that one is
// loaded instead, with the guest's .rodata/.data (the settings it wrote before load)
// transplanted into it. An object marked for another architecture is refused, never loaded to
// produce garbage; an unmarked object (built by wasm-bpf's own toolchain) is taken as is.
import { readObjectArch } from '../oci-spec/ebpf-object.ts';
import type { Arch } from '../oci-spec/arch.ts';
import { BpfError } from './bpf/errors.ts';
import { BpfObject, type LogRunner } from './bpf/bpf-object.ts';
import type { ResourceLedger } from './bpf/resource-ledger.ts';
import type { BpfObjectCandidate } from './contract.ts';

const ENOEXEC = 8;

function shape(o: BpfObject): string {
  // Internal maps are named "<object prefix>.rodata"; compare them by section only.
  const maps = o.mapNames().map((n) => (n.includes('.') ? n.slice(n.indexOf('.')) : n)).sort();
  return JSON.stringify({ programs: o.programNames().sort(), maps });
}

export class ObjectSelector {
  constructor(readonly hostArch: Arch, private readonly candidates: readonly BpfObjectCandidate[] = []) {}

  /** Opens (does not load) the object to use for these guest bytes. */
  open(guestBytes: Uint8Array, runLogged: LogRunner, ledger: ResourceLedger): BpfObject {
    let embeddedArch: Arch | undefined;
    try {
      embeddedArch = readObjectArch(guestBytes);
    } catch {
      embeddedArch = undefined; // not an ELF we can read: let libbpf say what is wrong with it
    }
    const guest = BpfObject.open(guestBytes, runLogged, ledger, 'object from the module');
    try {
      for (const candidate of this.candidates.filter((c) => c.arch === this.hostArch)) {
        const replacement = BpfObject.open(candidate.bytes, runLogged, ledger, `object ${candidate.name} (${candidate.arch})`);
        if (shape(replacement) !== shape(guest)) {
          replacement.close();
          continue;
        }
        try {
          for (const [section, bytes] of guest.globalSections()) replacement.setGlobalSection(section, bytes);
        } catch (err) {
          replacement.close();
          throw err;
        }
        guest.close();
        return replacement;
      }
      if (embeddedArch && embeddedArch !== this.hostArch) {
        const offered = this.candidates.map((c) => c.arch);
        throw new BpfError('WASMBPF_ARCH_MISMATCH',
          `the eBPF object was built for ${embeddedArch} but this host is ${this.hostArch}` +
          (offered.length
            ? ` (the image offers: ${[...new Set(offered)].join(', ')}, none matching the module's programs and maps)`
            // A bare module carries the build machine's object only: an image carries one per architecture.
            : `; run the image \`wasmbpf build\` makes of this tool, which carries an eBPF object for each architecture`), ENOEXEC);
      }
      return guest;
    } catch (err) {
      guest.close();
      throw err;
    }
  }
}
