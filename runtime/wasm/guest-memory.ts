// Bounds-checked access to a guest's linear memory. Every pointer and length that crosses the
// host ABI goes through here; a bad one becomes GuestFault (-EFAULT to the guest), never a host
// crash or a read of host memory.
//
// memory.grow() detaches the old ArrayBuffer (its byteLength becomes 0) and may move the memory,
// so the cached buffer, views and native base address are re-made when that has happened. The
// hot paths (address(), copyIn()) check the cached buffer's byteLength instead of reading
// memory.buffer, an API getter that costs more than the rest of the check.
import { WasmbpfError } from '../../errors/index.ts';

let addressOfBuffer: (b: ArrayBuffer) => bigint = () => {
  throw new Error('raw guest addresses need setAddressResolver()');
};

/** Injected by the host (it owns the FFI): how to get an ArrayBuffer's native address. */
export function setAddressResolver(fn: (b: ArrayBuffer) => bigint): void {
  addressOfBuffer = fn;
}

export class GuestFault extends WasmbpfError {
  readonly code = 'WASMBPF_GUEST_FAULT';
}

/** A wasm32 pointer arrives as i32 (C guests, maybe negative past 2 GiB) or i64 (Rust and Go guests). */
export type GuestPtr = number | bigint;

export function toOffset(value: GuestPtr): number {
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffffffffn) throw new GuestFault(`pointer ${value} is not a wasm32 address`);
    return Number(value);
  }
  return value >>> 0;
}

export class GuestMemory {
  private buffer: ArrayBuffer;
  private length: number;
  private u8: Uint8Array;
  private u32: Uint32Array;
  /** The buffer's native address as a number (user-space addresses are below 2^53), or -1 until asked. */
  private base = -1;

  /** onResize: told the size at once and after every grow the host notices (per-task memory stats). */
  constructor(private readonly memory: WebAssembly.Memory, private readonly onResize?: (bytes: number) => void) {
    this.buffer = memory.buffer;
    this.length = this.buffer.byteLength;
    onResize?.(this.length);
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer, 0, this.length >>> 2);
  }

  /** Re-reads memory.buffer if a memory.grow() detached the cached one. */
  private current(): void {
    if (this.buffer.byteLength !== 0 && this.buffer.byteLength === this.length) return;
    this.buffer = this.memory.buffer;
    this.length = this.buffer.byteLength;
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer, 0, this.length >>> 2);
    this.base = -1;
    this.onResize?.(this.length);
  }

  /** The host address of [ptr, ptr+len) for native calls (koffi takes it as uintptr_t), after the same bounds check as bytes(). */
  address(ptr: number | bigint, len: number): number {
    const at = typeof ptr === 'number' ? ptr >>> 0 : toOffset(ptr);
    this.current();
    if (!(len >= 0 && len <= 0xffffffff && at + len <= this.length) || !Number.isInteger(len)) this.outside(at, len);
    if (this.base < 0) this.base = Number(addressOfBuffer(this.buffer));
    return this.base + at;
  }

  /**
   * Copies n bytes of src starting at `at` into guest memory at ptr (bounds-checked). src32 views
   * the same bytes as src in 32-bit words: small records, the common case, are copied a word at a
   * time when both sides are 4-byte aligned, which is cheaper than making a subarray for set().
   */
  copyIn(ptr: number, src: Uint8Array, src32: Uint32Array, at: number, n: number): void {
    this.current();
    if (!(n >= 0 && ptr + n <= this.length)) this.outside(ptr, n);
    if (n > 64) {
      this.u8.set(src.subarray(at, at + n), ptr);
      return;
    }
    let i = 0;
    if (((ptr | at) & 3) === 0) {
      const u32 = this.u32, words = n >>> 2, d = ptr >>> 2, s = at >>> 2;
      for (; i < words; i++) u32[d + i] = src32[s + i]!;
      i = words << 2;
    }
    const u8 = this.u8;
    for (; i < n; i++) u8[ptr + i] = src[at + i]!;
  }

  private outside(at: number, len: number): never {
    if (!Number.isInteger(len) || len < 0) throw new GuestFault(`length ${len} is invalid`);
    throw new GuestFault(`[${at}, ${at + len}) is outside guest memory (${this.length} bytes)`);
  }

  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** A live view of [ptr, ptr+len); throws GuestFault when it does not fit. */
  bytes(ptr: number | bigint, len: number): Uint8Array {
    const at = toOffset(ptr);
    if (!Number.isInteger(len) || len < 0) throw new GuestFault(`length ${len} is invalid`);
    if (at + len > this.size) throw new GuestFault(`[${at}, ${at + len}) is outside guest memory (${this.size} bytes)`);
    return new Uint8Array(this.memory.buffer, at, len);
  }

  /** A NUL-terminated UTF-8 string starting at ptr, at most max bytes long. */
  cString(ptr: number | bigint, max = 4096): string {
    const at = toOffset(ptr);
    if (at >= this.size) throw new GuestFault(`string pointer ${at} is outside guest memory (${this.size} bytes)`);
    const view = new Uint8Array(this.memory.buffer, at, Math.min(max, this.size - at));
    const end = view.indexOf(0);
    if (end < 0) throw new GuestFault(`string at ${at} is not NUL-terminated within ${view.length} bytes`);
    return Buffer.from(view.subarray(0, end)).toString('utf8');
  }

  /** cString, or undefined for a NULL pointer. */
  optionalCString(ptr: number | bigint, max = 4096): string | undefined {
    return toOffset(ptr) === 0 ? undefined : this.cString(ptr, max);
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }
}
