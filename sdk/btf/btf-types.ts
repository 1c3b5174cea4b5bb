// The raw BTF type model: one entry per type record of the .BTF section, as the kernel's
// include/uapi/linux/btf.h defines them, with names already resolved from the string
// section. Nothing is interpreted here (typedefs are not followed, bitfields not decoded):
// that is layout.ts's job, so this file stays a faithful mirror of the format.

export const BtfKind = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

export interface BtfMember {
  name: string;
  type: number;
  /** Bit offset from the start of the struct (the low 24 bits when the struct's kind_flag is set). */
  bitOffset: number;
  /** Bitfield width when the struct's kind_flag is set; 0 means "not a bitfield". */
  bitfieldSize: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Base {
  id: number;
  name: string;
}

export type BtfType =
  | (Base & { kind: 'void' })
  | (Base & { kind: 'int'; size: number; encoding: number; bitOffset: number; bits: number })
  | (Base & { kind: 'ptr'; type: number })
  | (Base & { kind: 'array'; type: number; indexType: number; nelems: number })
  | (Base & { kind: 'struct' | 'union'; size: number; members: BtfMember[] })
  | (Base & { kind: 'enum' | 'enum64'; size: number; signed: boolean; values: BtfEnumValue[] })
  | (Base & { kind: 'fwd'; union: boolean })
  | (Base & { kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; type: number })
  | (Base & { kind: 'func'; type: number; linkage: number })
  | (Base & { kind: 'func_proto'; returnType: number; params: BtfParam[] })
  | (Base & { kind: 'var'; type: number; linkage: number })
  | (Base & { kind: 'datasec'; size: number; vars: BtfSecinfo[] })
  | (Base & { kind: 'float'; size: number })
  | (Base & { kind: 'decl_tag'; type: number; componentIdx: number });

export interface Btf {
  littleEndian: boolean;
  /** Indexed by type id; types[0] is void. */
  types: BtfType[];
}
