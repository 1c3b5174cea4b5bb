// Bounds-checked access to a guest's linear memory. Every pointer and length that crosses the
// host ABI goes through here; a bad one becomes GuestFault (-EFAULT to the guest), never a host
// crash or a read of host memory. Views are re-made on every call because memory.grow() detaches
// the old ArrayBuffer.

let addressOfBuffer: (b: ArrayBuffer) => bigint = () => {
  throw new Error('raw guest addresses need setAddressResolver()');
};

/** Injected by the host (it owns the FFI): how to get an ArrayBuffer's native address. */
export function setAddressResolver(fn: (b: ArrayBuffer) => bigint): void {
  addressOfBuffer = fn;
}

export class GuestFault extends Error {
  readonly code = 'WASMBPF_GUEST_FAULT';
}

/** A wasm32 pointer arrives as i32 (C guests, maybe negative past 2 GiB) or i64 (Rust and Go guests). */
export function toOffset(value: number | bigint): number {
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffffffffn) throw new GuestFault(`pointer ${value} is not a wasm32 address`);
    return Number(value);
  }
  return value >>> 0;
}

export class GuestMemory {
  private baseBuffer: ArrayBuffer | undefined;
  private base = 0n;

  constructor(private readonly memory: WebAssembly.Memory) {}

  /**
   * The host address of [ptr, ptr+len) for native calls, after the same bounds check as bytes().
   * The base is re-read whenever memory.buffer changes (memory.grow may move it).
   */
  address(ptr: number | bigint, len: number): bigint {
    const at = toOffset(ptr);
    const buffer = this.memory.buffer;
    if (!Number.isInteger(len) || len < 0) throw new GuestFault(`length ${len} is invalid`);
    if (at + len > buffer.byteLength) throw new GuestFault(`[${at}, ${at + len}) is outside guest memory (${buffer.byteLength} bytes)`);
    if (buffer !== this.baseBuffer) {
      this.baseBuffer = buffer;
      this.base = addressOfBuffer(buffer);
    }
    return this.base + BigInt(at);
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
