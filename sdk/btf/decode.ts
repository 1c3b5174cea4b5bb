// Decodes kernel-layout bytes (a ring buffer record, a map value) into plain JS values,
// driven by the layout model: for hosts and tests that hold a LayoutSet at run time. The
// generated TS module (ts-module.ts) applies exactly the same value rules, compiled ahead:
//   integers up to 4 bytes, floats, and enums up to 4 bytes -> number
//   8- and 16-byte integers and enums, pointers                -> bigint
//   _Bool                                                       -> boolean
//   char arrays                                                 -> string (up to the first NUL)
//   bitfields -> number up to 32 bits wide, bigint beyond (boolean for a _Bool bitfield)
//   arrays -> arrays; nested structs and unions -> objects; the members of an anonymous
//   struct or union are members of the enclosing object, as in C; a union decodes every member.
import type { FieldType, RecordLayout } from './layout.ts';
import { kernelSizeOf, recordTitle } from './layout.ts';
import { BtfDecodeError, BtfLayoutError } from './errors.ts';

export type DecodedValue = number | bigint | boolean | string | DecodedValue[] | DecodedRecord;
export interface DecodedRecord {
  [member: string]: DecodedValue;
}

/** Decodes one record at `offset`; throws BtfDecodeError when the bytes are too short. */
export function decodeRecord(record: RecordLayout, bytes: Uint8Array, offset = 0, littleEndian = true): DecodedRecord {
  if (!Number.isInteger(offset) || offset < 0 || offset + record.size > bytes.length) {
    throw new BtfDecodeError(`${recordTitle(record)} needs ${record.size} bytes at offset ${offset}, the buffer has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readRecord(record, { bytes, view, le: littleEndian }, offset);
}

interface Source {
  bytes: Uint8Array;
  view: DataView;
  le: boolean;
}

function readRecord(r: RecordLayout, src: Source, at: number): DecodedRecord {
  const out: DecodedRecord = {};
  for (const m of r.members) {
    if (m.bitSize !== undefined) {
      const t = m.type;
      const signed = t.kind === 'int' ? t.signed : t.kind === 'enum' && t.enum.signed;
      const raw = readBits(src.bytes, at * 8 + m.bitOffset, m.bitSize, signed, src.le);
      if (m.name) out[m.name] = t.kind === 'int' && t.bool ? raw !== 0n : m.bitSize <= 32 ? Number(raw) : raw;
      continue;
    }
    const value = readField(m.type, src, at + m.bitOffset / 8);
    if (m.name) out[m.name] = value;
    else Object.assign(out, value); // anonymous struct/union: its members are ours
  }
  return out;
}

function readField(t: FieldType, src: Source, at: number): DecodedValue {
  const { view, le } = src;
  switch (t.kind) {
    case 'int':
      if (t.bool) return view.getUint8(at) !== 0;
      return readInt(view, at, t.size, t.signed, le);
    case 'enum':
      return readInt(view, at, t.enum.size, t.enum.signed, le);
    case 'float':
      if (t.size === 4) return view.getFloat32(at, le);
      if (t.size === 8) return view.getFloat64(at, le);
      throw new BtfLayoutError(`a ${t.size}-byte float (${t.cName}) cannot be decoded`);
    case 'pointer':
      return view.getBigUint64(at, le);
    case 'record':
      return readRecord(t.record, src, at);
    case 'array': {
      const e = t.element;
      if (e.kind === 'int' && e.char) return cString(src.bytes, at, t.count);
      const step = kernelSizeOf(e);
      return Array.from({ length: t.count }, (_, i) => readField(e, src, at + i * step));
    }
  }
}

function readInt(view: DataView, at: number, size: number, signed: boolean, le: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4:
      return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    case 8:
      return signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
    default: {
      const lo = view.getBigUint64(le ? at : at + 8, le);
      const hi = view.getBigUint64(le ? at + 8 : at, le);
      const v = (hi << 64n) | lo;
      return signed ? BigInt.asIntN(128, v) : v;
    }
  }
}

/**
 * A bitfield `width` bits wide at absolute bit `bit` of `bytes`. BTF counts bits from the
 * least significant bit of the first byte on little-endian targets and from the most
 * significant one on big-endian targets.
 */
export function readBits(bytes: Uint8Array, bit: number, width: number, signed: boolean, le: boolean): bigint {
  const first = Math.floor(bit / 8);
  const last = Math.ceil((bit + width) / 8);
  let acc = 0n;
  for (let i = first; i < last; i++) {
    const b = BigInt(bytes[i] ?? 0);
    acc = le ? acc | (b << BigInt((i - first) * 8)) : (acc << 8n) | b;
  }
  const shift = le ? bit - first * 8 : (last - first) * 8 - (bit - first * 8) - width;
  const v = (acc >> BigInt(shift)) & ((1n << BigInt(width)) - 1n);
  return signed ? BigInt.asIntN(width, v) : v;
}

/** The bytes up to the first NUL (or the whole array), as UTF-8. */
export function cString(bytes: Uint8Array, at: number, length: number): string {
  const slice = bytes.subarray(at, at + length);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? slice : slice.subarray(0, nul));
}
