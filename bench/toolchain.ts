// What both benchmark builds (build.ts for the kernel workloads, container-build.ts for the
// container figures) need: the host's eBPF target, a compiler run whose failure carries its
// stderr, and eBPF objects embedded as C arrays the way `wasmbpf compile` embeds them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { hostArch, targetArchDefine } from '../oci-spec/arch.ts';
import { DEBIAN_MULTIARCH } from '../sdk/toolchain/compile.ts';
import { BenchError } from './errors.ts';

/** `__TARGET_ARCH_<arch>` and the Debian multiarch include dir for this machine, as `wasmbpf compile` uses them. */
export function bpfTarget(): { define: string; multiarch: string } {
  const arch = hostArch();
  return { define: targetArchDefine(arch), multiarch: DEBIAN_MULTIARCH[arch] };
}

export function runTool(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new BenchError('WASMBPF_BENCH_BUILD', `${cmd} ${args.join(' ')} failed:\n${stderr}`, { cause: err });
  }
}

/** A header with each object as `NAME[]` and `NAME_len`. */
export function embedObjects(objects: Record<string, string>, out: string): void {
  fs.writeFileSync(out, Object.entries(objects).map(([name, file]) => {
    const bytes = fs.readFileSync(file);
    return `static const unsigned char ${name}[] __attribute__((aligned(8))) = {${bytes.join(',')}};\n` +
      `static const unsigned int ${name}_len = ${bytes.length};\n`;
  }).join(''));
}
