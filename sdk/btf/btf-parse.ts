// Parses the .BTF section of an eBPF ELF object into the raw model of btf-types.ts. Pure
// (bytes in, data out) and strict: every record is bounds-checked and an unknown kind is an
// error rather than a silent skip, because a skipped record would shift every later type id.
// The byte order comes from the BTF magic, so big-endian (bpfeb) objects parse as well.
import { readElfSections } from '../../oci-spec/ebpf-object.ts';
import { BtfKind, type Btf, type BtfType } from './btf-types.ts';
import { BtfFormatError } from './errors.ts';

const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;

/** Finds the .BTF section of an ELF object and parses it. */
export function readObjectBtf(objectBytes: Uint8Array): Btf {
  let sections;
  try {
    ({ sections } = readElfSections(objectBytes));
  } catch (cause) {
    throw new BtfFormatError(`cannot read the eBPF object: ${(cause as Error).message}`, { cause });
  }
  const section = sections.find((s) => s.name === '.BTF');
  if (!section) {
    throw new BtfFormatError('the eBPF object has no .BTF section: compile it with clang -g (debug info is what carries BTF)');
  }
  return parseBtf(objectBytes.subarray(section.offset, section.offset + section.size));
}

/** Parses a raw BTF blob (the content of a .BTF section or /sys/kernel/btf/vmlinux). */
export function parseBtf(bytes: Uint8Array): Btf {
  if (bytes.length < HEADER_MIN) throw new BtfFormatError(`BTF data is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) little = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) little = false;
  else throw new BtfFormatError(`bad BTF magic 0x${view.getUint16(0, true).toString(16)}`);
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfFormatError(`unsupported BTF version ${version}`);
  const u32 = (o: number) => view.getUint32(o, little);
  const hdrLen = u32(4);
  const typeOff = hdrLen + u32(8);
  const typeLen = u32(12);
  const strOff = hdrLen + u32(16);
  const strLen = u32(20);
  if (hdrLen < HEADER_MIN || typeOff + typeLen > bytes.length || strOff + strLen > bytes.length) {
    throw new BtfFormatError('BTF type or string section lies outside the data (truncated?)');
  }

  const decoder = new TextDecoder();
  const str = (off: number): string => {
    if (off >= strLen) throw new BtfFormatError(`BTF string offset ${off} is outside the string section (${strLen} bytes)`);
    const start = strOff + off;
    let end = start;
    while (end < strOff + strLen && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(start, end));
  };

  const types: BtfType[] = [{ id: 0, name: '', kind: 'void' }];
  const end = typeOff + typeLen;
  let at = typeOff;
  const need = (n: number, what: string) => {
    if (at + n > end) throw new BtfFormatError(`BTF type ${types.length} (${what}) is truncated`);
  };
  while (at < end) {
    need(12, 'header');
    const id = types.length;
    const name = str(u32(at));
    const info = u32(at + 4);
    const sizeOrType = u32(at + 8);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = info >>> 31 === 1;
    at += 12;
    switch (kind) {
      case BtfKind.INT: {
        need(4, 'int');
        const enc = u32(at);
        at += 4;
        types.push({ id, name, kind: 'int', size: sizeOrType, encoding: (enc >>> 24) & 0xf, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff });
        break;
      }
      case BtfKind.PTR:
        types.push({ id, name, kind: 'ptr', type: sizeOrType });
        break;
      case BtfKind.ARRAY:
        need(12, 'array');
        types.push({ id, name, kind: 'array', type: u32(at), indexType: u32(at + 4), nelems: u32(at + 8) });
        at += 12;
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        need(12 * vlen, 'members');
        const members = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const offset = u32(at + 8);
          members.push({
            name: str(u32(at)),
            type: u32(at + 4),
            bitOffset: kflag ? offset & 0xffffff : offset,
            bitfieldSize: kflag ? offset >>> 24 : 0,
          });
        }
        types.push({ id, name, kind: kind === BtfKind.STRUCT ? 'struct' : 'union', size: sizeOrType, members });
        break;
      }
      case BtfKind.ENUM: {
        need(8 * vlen, 'enum values');
        const values = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          const value = kflag ? BigInt(view.getInt32(at + 4, little)) : BigInt(u32(at + 4));
          values.push({ name: str(u32(at)), value });
        }
        types.push({ id, name, kind: 'enum', size: sizeOrType, signed: kflag, values });
        break;
      }
      case BtfKind.ENUM64: {
        need(12 * vlen, 'enum64 values');
        const values = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const raw = (BigInt(u32(at + 8)) << 32n) | BigInt(u32(at + 4));
          values.push({ name: str(u32(at)), value: kflag ? BigInt.asIntN(64, raw) : raw });
        }
        types.push({ id, name, kind: 'enum64', size: sizeOrType, signed: kflag, values });
        break;
      }
      case BtfKind.FWD:
        types.push({ id, name, kind: 'fwd', union: kflag });
        break;
      case BtfKind.TYPEDEF:
        types.push({ id, name, kind: 'typedef', type: sizeOrType });
        break;
      case BtfKind.VOLATILE:
        types.push({ id, name, kind: 'volatile', type: sizeOrType });
        break;
      case BtfKind.CONST:
        types.push({ id, name, kind: 'const', type: sizeOrType });
        break;
      case BtfKind.RESTRICT:
        types.push({ id, name, kind: 'restrict', type: sizeOrType });
        break;
      case BtfKind.TYPE_TAG:
        types.push({ id, name, kind: 'type_tag', type: sizeOrType });
        break;
      case BtfKind.FUNC:
        types.push({ id, name, kind: 'func', type: sizeOrType, linkage: vlen });
        break;
      case BtfKind.FUNC_PROTO: {
        need(8 * vlen, 'params');
        const params = [];
        for (let i = 0; i < vlen; i++, at += 8) params.push({ name: str(u32(at)), type: u32(at + 4) });
        types.push({ id, name, kind: 'func_proto', returnType: sizeOrType, params });
        break;
      }
      case BtfKind.VAR:
        need(4, 'var');
        types.push({ id, name, kind: 'var', type: sizeOrType, linkage: u32(at) });
        at += 4;
        break;
      case BtfKind.DATASEC: {
        need(12 * vlen, 'datasec entries');
        const vars = [];
        for (let i = 0; i < vlen; i++, at += 12) vars.push({ type: u32(at), offset: u32(at + 4), size: u32(at + 8) });
        types.push({ id, name, kind: 'datasec', size: sizeOrType, vars });
        break;
      }
      case BtfKind.FLOAT:
        types.push({ id, name, kind: 'float', size: sizeOrType });
        break;
      case BtfKind.DECL_TAG:
        need(4, 'decl_tag');
        types.push({ id, name, kind: 'decl_tag', type: sizeOrType, componentIdx: view.getInt32(at, little) });
        at += 4;
        break;
      default:
        throw new BtfFormatError(`BTF type ${id} has unknown kind ${kind}`);
    }
  }
  for (const t of types) checkRefs(t, types.length);
  return { littleEndian: little, types };
}

/** A type id pointing past the table would turn into a crash far from here; catch it now. */
function checkRefs(t: BtfType, count: number): void {
  const refs: number[] = [];
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
    case 'func': case 'var': case 'decl_tag':
      refs.push(t.type);
      break;
    case 'array':
      refs.push(t.type, t.indexType);
      break;
    case 'struct': case 'union':
      for (const m of t.members) refs.push(m.type);
      break;
    case 'func_proto':
      refs.push(t.returnType, ...t.params.map((p) => p.type));
      break;
    case 'datasec':
      refs.push(...t.vars.map((v) => v.type));
      break;
    default:
      break;
  }
  for (const r of refs) {
    if (r >= count) throw new BtfFormatError(`BTF type ${t.id} ('${t.name}') refers to type ${r}, beyond the ${count - 1} types present`);
  }
}
