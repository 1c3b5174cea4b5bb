// ttrpc framing: every message is a 10-byte header followed by its payload.
//   uint32 BE payload length | uint32 BE stream id | uint8 message type | uint8 flags
// FrameReader turns a byte stream into frames. It refuses a frame whose declared length exceeds
// the limit before buffering it, so a hostile or confused peer cannot make us allocate 4 GiB;
// the caller then closes that one connection (the error is per connection, never per process).
import { TtrpcProtocolError } from './errors.ts';

export const HEADER_LENGTH = 10;
/** ttrpc's default maximum message size (4 MiB), the same on both sides of containerd. */
export const MAX_MESSAGE_LENGTH = 4 << 20;

export const MessageType = {
  Request: 1,
  Response: 2,
} as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export function encodeFrame(streamId: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(streamId >>> 0, 4);
  frame.writeUInt8(type, 8);
  frame.writeUInt8(flags, 9);
  frame.set(payload, HEADER_LENGTH);
  return frame;
}

/** Incremental decoder: push() the socket's chunks, get back the complete frames they finish. */
export class FrameReader {
  readonly #maxLength: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(maxLength = MAX_MESSAGE_LENGTH) {
    this.#maxLength = maxLength;
  }

  /** Throws TtrpcProtocolError on an oversized frame; the stream is unusable afterwards. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffered < HEADER_LENGTH) break;
      const head = this.#peek(HEADER_LENGTH);
      const length = head.readUInt32BE(0);
      if (length > this.#maxLength) {
        throw new TtrpcProtocolError(`frame of ${length} bytes exceeds the ${this.#maxLength}-byte limit`);
      }
      if (this.#buffered < HEADER_LENGTH + length) break;
      const whole = this.#take(HEADER_LENGTH + length);
      frames.push({
        streamId: whole.readUInt32BE(4),
        type: whole.readUInt8(8),
        flags: whole.readUInt8(9),
        payload: whole.subarray(HEADER_LENGTH),
      });
    }
    return frames;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, n);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}
