// The --arch option of build, compile, inspect and run: an architecture in any of the names
// oci-spec/arch.ts knows (x86_64, amd64, aarch64, ...), or a usage error listing them.
import { ARCHES, normalizeArch, type Arch } from '../oci-spec/arch.ts';
import { UsageError } from './command.ts';

export function parseArchOption(name: string): Arch {
  const arch = normalizeArch(name);
  if (!arch) throw new UsageError(`unknown architecture '${name}' (known: ${ARCHES.join(', ')})`);
  return arch;
}
