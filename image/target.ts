// What a `run`/`inspect` argument names: a bare module file, an OCI layout (tarball or
// directory), or an image reference. A path is anything that starts with '/', './' or '../',
// ends in .wasm or .tar, or exists as a file; a directory must be written as a path (so a tool
// folder named like an image never shadows the image). Everything else is a reference.
import { stat } from 'node:fs/promises';
import { TargetError } from './errors.ts';
import { isWasmFile } from './wasm-file.ts';

export type Target = { kind: 'module'; path: string } | { kind: 'layout'; path: string } | { kind: 'reference'; reference: string };


export async function classifyTarget(target: string): Promise<Target> {
  const explicitPath = /^(\/|\.\.?\/)/.test(target) || /\.(wasm|tar)$/.test(target);
  const info = await stat(target).catch(() => undefined);
  if (!info) {
    if (explicitPath) throw new TargetError(`${target}: no such file or directory`);
    return { kind: 'reference', reference: target };
  }
  if (info.isDirectory()) {
    return explicitPath || target.includes('/') ? { kind: 'layout', path: target } : { kind: 'reference', reference: target };
  }
  if (!info.isFile()) throw new TargetError(`${target}: not a regular file`);
  return isWasmFile(target) ? { kind: 'module', path: target } : { kind: 'layout', path: target };
}
