// A task's module is compiled (and cached, runtime/module-cache.ts) with its memory cap at Create,
// so that Start has nothing left to fail on: a module that is not valid Wasm, imports what the
// runtime does not provide, or starts with more memory than its cap fails the Create, as
// InvalidArgument naming where the module came from.
import { invalidArgument } from './errors.ts';
import type { ResolvedModule } from './module-source.ts';

/** `compile` is the runtime's compileModule (a stand-in in unit tests). */
export async function checkModule(id: string, module: ResolvedModule, memoryLimit: number, compile: (wasm: Uint8Array, memoryLimit: number) => Promise<unknown>): Promise<void> {
  try {
    await compile(module.wasm, memoryLimit);
  } catch (error) {
    throw invalidArgument(`task ${id}: the module ${module.origin} cannot run: ${error instanceof WebAssembly.CompileError ? `it is not valid Wasm: ${error.message}` : (error as Error).message}`, error);
  }
}
