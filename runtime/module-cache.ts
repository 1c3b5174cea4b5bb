// Compiled modules, kept by content digest and memory cap, so a second container of the same
// image (or a restart of a tool) does not compile again. A WebAssembly.Module posted to a worker
// thread shares its compiled code with the thread that compiled it (V8 clones the handle, not
// the machine code), so one compile serves every module of this process.
//
// The cap is part of the key because it is written into the module's bytes before compiling
// (runtime/wasm/memory-limit.ts): the same image run with two limits is two modules.
// Compiling happens here, on the caller's thread: V8 compiles asynchronously on its own
// background threads, so the caller's event loop (the shim's ttrpc server) is not held, and a
// worker can boot at the same time.
import { capModuleMemory, WASM_PAGE } from './wasm/memory-limit.ts';
import { checkImports } from './wasm/provided-imports.ts';

/** The most modules kept; the least recently used goes first. */
const MAX_ENTRIES = 32;
/** The most source bytes kept (compiled code is a few times the source): a bound on the cache's memory. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

interface Entry {
  module: Promise<WebAssembly.Module>;
  bytes: number;
}

const entries = new Map<string, Entry>();
let cachedBytes = 0;

/** sha256 of the module's bytes, as OCI digests write it. */
export function moduleDigest(wasm: Uint8Array): string {
  // node:crypto (~5 ms to load) on first use, not on import: `wasmbpf run` imports this file
  // through runtime/index.ts before it starts the module's worker.
  const crypto = process.getBuiltinModule('node:crypto');
  return `sha256:${crypto.createHash('sha256').update(wasm).digest('hex')}`;
}

function evict(): void {
  for (const [key, entry] of entries) {
    if (entries.size <= MAX_ENTRIES && cachedBytes <= MAX_SOURCE_BYTES) return;
    entries.delete(key);
    cachedBytes -= entry.bytes;
  }
}

/**
 * The module compiled with its linear memory capped at memoryLimit bytes, from the cache when
 * the same bytes were compiled with the same cap before. Rejects like WebAssembly.compile
 * (CompileError) or with MemoryLimitError, or with UnknownImportError for a module importing what
 * the runtime does not provide; a failed compile is not kept.
 */
export function compileModule(wasm: Uint8Array, memoryLimit: number): Promise<WebAssembly.Module> {
  const key = `${moduleDigest(wasm)}/${Math.floor(memoryLimit / WASM_PAGE)}`;
  const hit = entries.get(key);
  if (hit) {
    entries.delete(key); // re-inserted last: the Map's order is the LRU order
    entries.set(key, hit);
    return hit.module;
  }
  let module: Promise<WebAssembly.Module>;
  try {
    // Checked here so every caller (the shim's Create, `wasmbpf run`) refuses it before running it.
    module = WebAssembly.compile(capModuleMemory(wasm, memoryLimit) as Uint8Array<ArrayBuffer>).then((m) => {
      checkImports(m);
      return m;
    });
  } catch (error) {
    return Promise.reject(error);
  }
  const entry = { module, bytes: wasm.byteLength };
  entries.set(key, entry);
  cachedBytes += entry.bytes;
  module.catch(() => {
    if (entries.get(key) === entry) {
      entries.delete(key);
      cachedBytes -= entry.bytes;
    }
  });
  evict();
  return module;
}

