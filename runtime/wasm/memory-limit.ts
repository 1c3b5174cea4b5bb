// The cap on a module's linear memory. Node gives no hook on memory.grow, so the cap is written
// into the module itself before it is compiled: every memory it declares (in its memory section,
// or imported) gets a maximum of at most the cap. Past it, memory.grow returns -1 as the Wasm
// spec says, so malloc returns NULL and the guest handles that (or aborts: a trap, exit 134).
// A module whose initial memory is already larger than the cap cannot start.
//
// Sizes are written like Kubernetes quantities: a byte count, or a number with Ki/Mi/Gi (powers
// of 1024, also KiB/MiB/GiB) or k/M/G (powers of 1000).
import { WasmbpfError } from '../../errors/index.ts';

export const WASM_PAGE = 65536;
/** Wasm32's own ceiling: 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 4 * 1024 ** 3;
/**
 * The default cap, 256 MiB. eBPF tools keep their state in maps, in the kernel; their Wasm side
 * holds buffers of records and a few tables (the examples run in 2 to 20 MiB). 256 MiB is far
 * above that, and still bounds what one module of a shim (which runs a pod's modules in one
 * process) can take from the others. A node that needs more sets it in its shim config.
 */
export const DEFAULT_MEMORY_LIMIT = 256 * 1024 ** 2;
export const MEMORY_LIMIT_ANNOTATION = 'wasmbpf.io/memory-limit';

export class MemoryLimitError extends WasmbpfError {
  constructor(readonly code: 'WASMBPF_MEMORY_LIMIT' | 'WASMBPF_BAD_SIZE' | 'WASMBPF_BAD_MODULE', message: string) {
    super(message);
  }
}

const UNITS: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3,
};

/** "256Mi" -> 268435456. Throws WASMBPF_BAD_SIZE naming `what` (e.g. the flag or annotation). */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) {
    throw new MemoryLimitError('WASMBPF_BAD_SIZE', `${what}: '${text}' is not a size (write e.g. 268435456, 256Mi or 1Gi)`);
  }
  return Math.floor(Number(m[1]) * unit);
}

/** 268435456 -> "256 MiB", for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= n && bytes % (n / 16) === 0) return `${+(bytes / n).toFixed(2)} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** The smallest of the limits given (a request may only narrow what is above it). */
export function narrowest(...limits: (number | undefined)[]): number | undefined {
  const set = limits.filter((l): l is number => l !== undefined);
  return set.length ? Math.min(...set) : undefined;
}

class Reader {
  constructor(readonly bytes: Uint8Array, public at = 0) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new MemoryLimitError('WASMBPF_BAD_MODULE', 'invalid Wasm module: unexpected end');
    return this.bytes[this.at++]!;
  }

  /** Unsigned LEB128 up to 2^53 (memory64 limits are u64; no real module is that large). */
  leb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new MemoryLimitError('WASMBPF_BAD_MODULE', 'invalid Wasm module: LEB128 too long');
  }

  skip(n: number): void {
    if (this.at + n > this.bytes.length) throw new MemoryLimitError('WASMBPF_BAD_MODULE', 'invalid Wasm module: unexpected end');
    this.at += n;
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

const LIMIT_HAS_MAX = 0x01;

/** Reads one memtype's limits at r and returns them re-encoded with max <= capPages. */
function cappedLimits(r: Reader, capPages: number, capBytes: number, where: string): number[] {
  const flags = r.byte();
  if (flags > 0x07) throw new MemoryLimitError('WASMBPF_BAD_MODULE', `invalid Wasm module: memory limits flags 0x${flags.toString(16)}`);
  const initial = r.leb();
  const max = flags & LIMIT_HAS_MAX ? r.leb() : undefined;
  if (initial > capPages) {
    throw new MemoryLimitError('WASMBPF_MEMORY_LIMIT',
      `the module's ${where} starts at ${formatSize(initial * WASM_PAGE)}, above its memory limit of ${formatSize(capBytes)}`);
  }
  const newMax = max === undefined ? capPages : Math.min(max, capPages);
  return [flags | LIMIT_HAS_MAX, ...leb(initial), ...leb(newMax)];
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.leb();
  if (flags & LIMIT_HAS_MAX) r.leb();
}

function skipName(r: Reader): string {
  const n = r.leb();
  const start = r.at;
  r.skip(n);
  return new TextDecoder().decode(r.bytes.subarray(start, r.at));
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const IMPORT_FUNC = 0, IMPORT_TABLE = 1, IMPORT_MEMORY = 2, IMPORT_GLOBAL = 3, IMPORT_TAG = 4;

function rewriteImports(body: Uint8Array, capPages: number, capBytes: number): number[] | undefined {
  const r = new Reader(body);
  const count = r.leb();
  const out: number[] = [...leb(count)];
  let changed = false;
  for (let i = 0; i < count; i++) {
    const start = r.at;
    const moduleName = skipName(r);
    const field = skipName(r);
    const kind = r.byte();
    if (kind === IMPORT_MEMORY) {
      out.push(...body.subarray(start, r.at));
      out.push(...cappedLimits(r, capPages, capBytes, `imported memory ${moduleName}.${field}`));
      changed = true;
      continue;
    }
    if (kind === IMPORT_FUNC || kind === IMPORT_TAG) {
      if (kind === IMPORT_TAG) r.byte();
      r.leb();
    } else if (kind === IMPORT_TABLE) {
      r.byte();
      skipLimits(r);
    } else if (kind === IMPORT_GLOBAL) {
      r.byte();
      r.byte();
    } else {
      // An import kind this reader does not know: leave the section as it is (V8 will say what is wrong).
      return undefined;
    }
    out.push(...body.subarray(start, r.at));
  }
  return changed ? out : undefined;
}

function rewriteMemories(body: Uint8Array, capPages: number, capBytes: number): number[] {
  const r = new Reader(body);
  const count = r.leb();
  const out: number[] = [...leb(count)];
  for (let i = 0; i < count; i++) out.push(...cappedLimits(r, capPages, capBytes, count > 1 ? `memory ${i}` : 'linear memory'));
  return out;
}

/**
 * The module with every memory's maximum lowered to capBytes (rounded down to whole 64 KiB
 * pages). Throws WASMBPF_MEMORY_LIMIT if a memory's initial size is above the cap. Bytes that
 * are not a Wasm module are returned as they are, for WebAssembly.compile to reject.
 */
export function capModuleMemory(wasm: Uint8Array, capBytes: number): Uint8Array {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) return wasm;
  try {
    return rewrite(wasm, capBytes);
  } catch (err) {
    // Bytes this reader cannot follow: if V8 rejects them too, let it say why (its message is
    // the better one); if V8 would run them, refuse rather than run the module uncapped.
    if (err instanceof MemoryLimitError && err.code === 'WASMBPF_BAD_MODULE' && !WebAssembly.validate(wasm as Uint8Array<ArrayBuffer>)) return wasm;
    if (err instanceof MemoryLimitError && err.code === 'WASMBPF_BAD_MODULE') {
      throw new MemoryLimitError('WASMBPF_BAD_MODULE', `cannot apply the memory limit to this module: ${err.message}`);
    }
    throw err;
  }
}

function rewrite(wasm: Uint8Array, capBytes: number): Uint8Array {
  const capPages = Math.floor(Math.min(capBytes, WASM32_MAX_BYTES) / WASM_PAGE);
  const r = new Reader(wasm, 8);
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  let copiedTo = 8;
  let changed = false;
  while (r.at < wasm.length) {
    const sectionStart = r.at;
    const id = r.byte();
    const size = r.leb();
    const bodyStart = r.at;
    r.skip(size);
    if (id !== SECTION_IMPORT && id !== SECTION_MEMORY) continue;
    const body = wasm.subarray(bodyStart, r.at);
    const rewritten = id === SECTION_MEMORY ? rewriteMemories(body, capPages, capBytes) : rewriteImports(body, capPages, capBytes);
    if (!rewritten) continue;
    parts.push(wasm.subarray(copiedTo, sectionStart), new Uint8Array([id, ...leb(rewritten.length), ...rewritten]));
    copiedTo = r.at;
    changed = true;
  }
  if (!changed) return wasm;
  parts.push(wasm.subarray(copiedTo));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
