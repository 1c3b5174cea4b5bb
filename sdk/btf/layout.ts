// The layout model: the kernel-side (64-bit BPF) layout of the structs a tool shares with its
// Wasm guest, resolved from raw BTF. Typedefs and qualifiers are followed away, old- and
// new-style bitfields are normalised to (bit offset, width), and every named struct or union
// reached by value is collected in dependency order, so the C and TS generators only walk a
// tree and never look at BTF. Offsets are the kernel's: the model is the source of truth that
// the wasm32 C definitions are checked against.
import { BTF_INT_BOOL, BTF_INT_SIGNED, type Btf, type BtfType } from './btf-types.ts';
import { BtfFormatError, BtfLayoutError, BtfStructMissingError } from './errors.ts';

/** A pointer in the 64-bit kernel is 8 bytes whatever it points to. */
export const KERNEL_POINTER_SIZE = 8;

export interface EnumLayout {
  /** Undefined for an anonymous enum. */
  name?: string;
  size: number;
  signed: boolean;
  values: { name: string; value: bigint }[];
}

export type FieldType =
  /** `char` is kept apart so char arrays stay char arrays (strings) on both sides. */
  | { kind: 'int'; size: number; signed: boolean; bool: boolean; char: boolean; cName: string }
  | { kind: 'float'; size: number; cName: string }
  /** `target` is the C spelling of what it points to, for comments only. */
  | { kind: 'pointer'; target: string }
  | { kind: 'enum'; enum: EnumLayout }
  | { kind: 'array'; element: FieldType; count: number }
  | { kind: 'record'; record: RecordLayout };

export interface MemberLayout {
  /** Undefined for an anonymous struct or union member (its members belong to the parent). */
  name?: string;
  /** Offset from the start of the record, in bits (kernel layout). */
  bitOffset: number;
  /** Width of a bitfield; undefined for an ordinary member. */
  bitSize?: number;
  type: FieldType;
  /** The typedef the source used (e.g. `size_t`, `u64`), for comments. */
  typedefName?: string;
}

export interface RecordLayout {
  kind: 'struct' | 'union';
  /** Undefined for an anonymous struct or union. */
  name?: string;
  /** sizeof in the kernel, in bytes. */
  size: number;
  members: MemberLayout[];
}

export interface LayoutSet {
  littleEndian: boolean;
  /** The requested records and every named record they hold by value, dependencies first. */
  records: RecordLayout[];
  /** Every enum a record member uses (named or anonymous), in first-use order. */
  enums: EnumLayout[];
}

/** Size in bytes of a field type in the kernel layout. */
export function kernelSizeOf(t: FieldType): number {
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.size;
    case 'pointer':
      return KERNEL_POINTER_SIZE;
    case 'enum':
      return t.enum.size;
    case 'array':
      return t.count * kernelSizeOf(t.element);
    case 'record':
      return t.record.size;
  }
}

/** `struct event`, `union value`, or `struct <anonymous>`. */
export function recordTitle(r: RecordLayout): string {
  return `${r.kind} ${r.name ?? '<anonymous>'}`;
}

/**
 * Resolves the named structs (or unions) and everything they hold by value. A name may be
 * given bare (`event`) or with its keyword (`struct event`, `union value`).
 */
export function buildLayouts(btf: Btf, names: readonly string[]): LayoutSet {
  return new LayoutBuilder(btf).build(names);
}

/** A long list (an object built with vmlinux.h) is cut so the error stays readable. */
function listSome(names: string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

class LayoutBuilder {
  private readonly records = new Map<number, RecordLayout>();
  private readonly enums = new Map<number, EnumLayout>();
  private readonly ordered: RecordLayout[] = [];
  private readonly orderedEnums: EnumLayout[] = [];
  private readonly done = new Set<RecordLayout>();

  constructor(private readonly btf: Btf) {}

  build(names: readonly string[]): LayoutSet {
    for (const requested of names) {
      const id = this.findRecord(requested);
      this.collect(this.record(id));
    }
    return { littleEndian: this.btf.littleEndian, records: this.ordered, enums: this.orderedEnums };
  }

  private findRecord(requested: string): number {
    const m = /^\s*(?:(struct|union)\s+)?([A-Za-z_]\w*)\s*$/.exec(requested);
    if (!m) throw new BtfLayoutError(`'${requested}' is not a struct name (expected 'event', 'struct event' or 'union value')`);
    const [, keyword, name] = m;
    const found = this.btf.types.filter(
      (t) => (t.kind === 'struct' || t.kind === 'union') && t.name === name && (!keyword || t.kind === keyword),
    );
    // The same struct can appear more than once in BTF linked from several units; identical
    // sizes and member lists are one type, anything else is a real ambiguity.
    const first = found[0];
    if (first) {
      const shape = (t: BtfType) => (t.kind === 'struct' || t.kind === 'union' ? JSON.stringify([t.kind, t.size, t.members.map((x) => [x.name, x.bitOffset, x.bitfieldSize])]) : '');
      if (found.some((t) => shape(t) !== shape(first))) {
        throw new BtfLayoutError(`the eBPF object's BTF has ${found.length} different definitions of '${name}'; rename one of them`);
      }
      return first.id;
    }
    const declared = this.btf.types.some((t) => t.kind === 'fwd' && t.name === name);
    const known = this.btf.types
      .filter((t) => (t.kind === 'struct' || t.kind === 'union') && t.name)
      .map((t) => `${t.kind} ${t.name}`);
    const label = `${keyword ?? 'struct'} ${name}`;
    throw new BtfStructMissingError(
      label,
      `${label} is ${declared ? 'only declared (a forward declaration)' : 'not'} in the BTF of the eBPF object. ` +
        `clang emits BTF only for types that a global variable, a map or a function signature uses: ` +
        `add 'WASMBPF_SHARED(${label});' (from <wasmbpf_shared.h>) to the .bpf.c, or a global ` +
        `'${label} unused_${name} __attribute__((unused));' (docs/struct-layouts.md). ` +
        `Structs in the object: ${known.length ? listSome(known) : 'none'}.`,
    );
  }

  /** Adds a named record to the output after the named records it holds by value. */
  private collect(r: RecordLayout): void {
    if (this.done.has(r)) return;
    this.done.add(r);
    const visit = (t: FieldType): void => {
      if (t.kind === 'array') visit(t.element);
      else if (t.kind === 'record') {
        if (t.record.name) this.collect(t.record);
        else for (const m of t.record.members) visit(m.type);
      } else if (t.kind === 'enum' && !this.orderedEnums.includes(t.enum)) this.orderedEnums.push(t.enum);
    };
    for (const m of r.members) visit(m.type);
    if (r.name) this.ordered.push(r);
  }

  private type(id: number): BtfType {
    const t = this.btf.types[id];
    if (!t) throw new BtfFormatError(`BTF type ${id} does not exist`);
    return t;
  }

  private record(id: number): RecordLayout {
    const cached = this.records.get(id);
    if (cached) return cached;
    const t = this.type(id);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new BtfFormatError(`BTF type ${id} is not a struct or union`);
    const r: RecordLayout = { kind: t.kind, size: t.size, members: [] };
    if (t.name) r.name = t.name;
    this.records.set(id, r);
    for (const m of t.members) {
      const { type, typedefName, oldBitfield } = this.field(m.type, `${recordTitle(r)}.${m.name || '<anonymous>'}`);
      const member: MemberLayout = { bitOffset: m.bitOffset, type };
      if (m.name) member.name = m.name;
      if (typedefName) member.typedefName = typedefName;
      if (m.bitfieldSize > 0) member.bitSize = m.bitfieldSize;
      else if (oldBitfield) {
        // Pre-kind_flag encoding: the width (and an extra offset) live in the INT type.
        member.bitOffset += oldBitfield.offset;
        member.bitSize = oldBitfield.bits;
      }
      if (member.bitSize !== undefined && type.kind !== 'int' && type.kind !== 'enum') {
        throw new BtfLayoutError(`${recordTitle(r)}.${m.name}: a bitfield of ${type.kind} type is not supported`);
      }
      r.members.push(member);
    }
    return r;
  }

  private field(id: number, where: string): { type: FieldType; typedefName?: string; oldBitfield?: { bits: number; offset: number } } {
    let typedefName: string | undefined;
    let t = this.type(id);
    for (let hops = 0; ; hops++) {
      if (hops > 64) throw new BtfFormatError(`${where}: typedef or qualifier chain loops`);
      if (t.kind === 'typedef') typedefName ??= t.name;
      if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') {
        t = this.type(t.type);
      } else break;
    }
    const out = (type: FieldType) => (typedefName ? { type, typedefName } : { type });
    switch (t.kind) {
      case 'int': {
        const type: FieldType = {
          kind: 'int',
          size: t.size,
          signed: (t.encoding & BTF_INT_SIGNED) !== 0,
          bool: (t.encoding & BTF_INT_BOOL) !== 0,
          char: t.name === 'char',
          cName: t.name,
        };
        if (![1, 2, 4, 8, 16].includes(t.size)) throw new BtfLayoutError(`${where}: integer of ${t.size} bytes is not supported`);
        if (t.bits !== t.size * 8 || t.bitOffset !== 0) return { ...out(type), oldBitfield: { bits: t.bits, offset: t.bitOffset } };
        return out(type);
      }
      case 'float':
        return out({ kind: 'float', size: t.size, cName: t.name });
      case 'ptr':
        return out({ kind: 'pointer', target: this.describe(t.type) });
      case 'enum':
      case 'enum64': {
        let e = this.enums.get(t.id);
        if (!e) {
          e = { size: t.size, signed: t.signed, values: t.values };
          if (t.name) e.name = t.name;
          this.enums.set(t.id, e);
        }
        return out({ kind: 'enum', enum: e });
      }
      case 'array': {
        const element = this.field(t.type, where);
        if (element.oldBitfield) throw new BtfFormatError(`${where}: array of bitfields`);
        const type: FieldType = { kind: 'array', element: element.type, count: t.nelems };
        // `__u64 callers[2]`: the typedef is the element's; keep it for the comment.
        const name = typedefName ?? element.typedefName;
        return name ? { type, typedefName: name } : { type };
      }
      case 'struct':
      case 'union':
        return out({ kind: 'record', record: this.record(t.id) });
      case 'fwd':
        throw new BtfLayoutError(`${where}: ${t.union ? 'union' : 'struct'} ${t.name} is only declared, its layout is unknown`);
      default:
        throw new BtfLayoutError(`${where}: a member of BTF kind '${t.kind}' cannot be part of a shared struct`);
    }
  }

  /** C-like spelling of a type, for the comment on a pointer member. */
  private describe(id: number, depth = 0): string {
    const t = this.type(id);
    if (depth > 8) return '...';
    switch (t.kind) {
      case 'void':
        return 'void';
      case 'int': case 'float': case 'typedef':
        return t.name;
      case 'struct': case 'union':
        return `${t.kind} ${t.name || '<anonymous>'}`;
      case 'enum': case 'enum64':
        return `enum ${t.name || '<anonymous>'}`;
      case 'fwd':
        return `${t.union ? 'union' : 'struct'} ${t.name}`;
      case 'const': case 'volatile': case 'restrict':
        return `${t.kind} ${this.describe(t.type, depth + 1)}`;
      case 'type_tag':
        return this.describe(t.type, depth + 1);
      case 'ptr':
        return `${this.describe(t.type, depth + 1)} *`;
      case 'array':
        return `${this.describe(t.type, depth + 1)}[${t.nelems}]`;
      case 'func_proto':
        return 'function';
      default:
        return t.kind;
    }
  }
}
