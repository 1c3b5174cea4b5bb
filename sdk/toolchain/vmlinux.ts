// vmlinux.h: every kernel type, dumped by bpftool from the running kernel's BTF, so eBPF code
// can use kernel structs without kernel headers (CO-RE relocates the field offsets at load
// time, so one vmlinux.h serves kernels other than the build machine's too).
//
// Dumping takes ~1 s and makes ~3 MB, so it is cached per kernel: the key is a hash of the BTF
// itself (not `uname -r`, which stays the same across rebuilds of one version). The cache is
// $WASMBPF_HOME/cache when set, else the tool's build folder; the build folder always gets a
// copy, since the guest and eBPF compiles include it from there.
import { createHash } from 'node:crypto';
import { access, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CompileError } from './errors.ts';
import { run } from './exec.ts';

export const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function kernelBtfId(btfPath: string): Promise<string> {
  let btf: Buffer;
  try {
    btf = await readFile(btfPath);
  } catch (cause) {
    throw new CompileError(`cannot read the kernel's BTF at ${btfPath} (a kernel built with CONFIG_DEBUG_INFO_BTF is needed to make vmlinux.h)`, { cause });
  }
  return createHash('sha256').update(btf).digest('hex').slice(0, 16);
}

/** Writes `content` atomically, so a concurrent build never reads half a vmlinux.h. */
async function writeAtomic(file: string, content: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/** Makes sure OUTDIR/vmlinux.h is the running kernel's; returns its path. */
export async function ensureVmlinuxH(outDir: string, opts: { btfPath?: string; cacheDir?: string } = {}): Promise<string> {
  const btfPath = opts.btfPath ?? KERNEL_BTF;
  const id = await kernelBtfId(btfPath);
  const target = path.join(outDir, 'vmlinux.h');
  const stamp = path.join(outDir, 'vmlinux.h.kernel');
  const current = await readFile(stamp, 'utf8').catch(() => '');
  if (current.trim() === id && (await exists(target))) return target;

  const home = process.env.WASMBPF_HOME;
  const cacheDir = opts.cacheDir ?? (home ? path.join(home, 'cache') : undefined);
  const cached = cacheDir ? path.join(cacheDir, `vmlinux-${id}.h`) : undefined;
  if (cached && (await exists(cached))) {
    await copyFile(cached, target);
  } else {
    const { stdout } = await run('bpftool', ['btf', 'dump', 'file', btfPath, 'format', 'c'], 'making vmlinux.h');
    await writeAtomic(target, stdout);
    if (cached && cacheDir) {
      await mkdir(cacheDir, { recursive: true });
      await writeAtomic(cached, stdout);
    }
  }
  await writeFile(stamp, `${id}\n`);
  return target;
}
