// Generates the wasm32 side of the structs a tool's NAME.h shares with its eBPF program:
// NAME.wasm.h (definitions with static asserts on size and every member offset, so a layout
// mismatch is a build error) and NAME.layout.ts (a reader for hosts and tests), both from the
// eBPF object's BTF through sdk/btf. The guest includes NAME.wasm.h instead of NAME.h.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateWasmLayouts, sharedStructNames } from '../btf/index.ts';
import { CompileError } from './errors.ts';

export interface LayoutInput {
  toolName: string;
  headerSource: string;
  objectBytes: Uint8Array;
  outDir: string;
}

/** Writes the generated files; returns their paths, or [] when NAME.h defines no structs. */
export async function generateLayouts(input: LayoutInput): Promise<string[]> {
  const structs = sharedStructNames(input.headerSource);
  if (structs.length === 0) return [];
  const guard = `__${input.toolName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_WASM_H`;
  let generated;
  try {
    generated = generateWasmLayouts(input.objectBytes, {
      structs,
      guard,
      sharedHeader: input.headerSource,
      source: `${input.toolName}.bpf.o`,
    });
  } catch (cause) {
    throw new CompileError(`generating wasm32 layouts for ${input.toolName}.h: ${(cause as Error).message}`, { cause });
  }
  const cPath = path.join(input.outDir, `${input.toolName}.wasm.h`);
  const tsPath = path.join(input.outDir, `${input.toolName}.layout.ts`);
  await writeFile(cPath, generated.cHeader);
  await writeFile(tsPath, generated.tsModule);
  return [cPath, tsPath];
}
