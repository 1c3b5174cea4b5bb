// What both benchmark builds (build.ts for the kernel workloads, container-build.ts for the
// container figures) need: the host's eBPF target, a compiler run whose failure carries its
// stderr, and eBPF objects embedded as C arrays the way `wasmbpf compile` embeds them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { BenchError } from './errors.ts';

const BPF_ARCH: Partial<Record<string, string>> = { x64: 'x86', arm64: 'arm64' };
const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** `__TARGET_ARCH_<arch>` and the Debian multiarch include dir for this machine. */
export function bpfTarget(): { arch: string; multiarch: string } {
  const arch = BPF_ARCH[process.arch];
  const multiarch = MULTIARCH[process.arch];
  if (!arch || !multiarch) throw new BenchError('WASMBPF_BENCH_ARCH', `no eBPF target for architecture '${process.arch}'`);
  return { arch, multiarch };
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
