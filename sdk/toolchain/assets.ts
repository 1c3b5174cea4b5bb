// Where the SDK's non-TypeScript files are: the guest and eBPF-side C headers (sdk/include) and
// the tool template (sdk/templates). They live only in the source tree's sdk/ folder; tsc puts
// the JavaScript of this module under dist/sdk/toolchain without them. So instead of a fixed
// relative path, walk up from this module to the first folder that holds sdk/include — the
// source tree's sdk/ whether this runs from sdk/toolchain (tsx) or dist/sdk/toolchain (built).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError } from './errors.ts';

const MARKER = path.join('include', 'libbpf-wasm.h');

function findSdkDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (path.basename(dir) === 'sdk' && existsSync(path.join(dir, MARKER))) return dir;
    if (existsSync(path.join(dir, 'sdk', MARKER))) return path.join(dir, 'sdk');
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new CompileError(`cannot find the SDK's headers (sdk/${MARKER}) above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

let cached: string | undefined;

/** The source tree's sdk/ folder. */
export function sdkDir(): string {
  cached ??= findSdkDir();
  return cached;
}

/** sdk/include: libbpf-wasm.h, wasmbpf.h, bpf/ for skeletons; ebpf/ and bpf-compat/ for the eBPF side. */
export function sdkInclude(): string {
  return path.join(sdkDir(), 'include');
}

/** sdk/templates/tool: what `wasmbpf new` copies. */
export function toolTemplateDir(): string {
  return path.join(sdkDir(), 'templates', 'tool');
}
