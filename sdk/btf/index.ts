// Public surface of the BTF struct layout generator (docs/struct-layouts.md).
//
// Usage (the toolchain, after compiling NAME.bpf.c with `clang -g -O2 -target bpf`):
//
//   import { generateWasmLayouts, sharedStructNames } from '../btf/index.ts';
//
//   const header = readFileSync('NAME.h', 'utf8');
//   const { cHeader, tsModule } = generateWasmLayouts(readFileSync('NAME.bpf.o'), {
//     structs: sharedStructNames(header),  // ['event', 'union value', ...]
//     sharedHeader: header,                // optional: carry its #defines (TASK_COMM_LEN...) over
//     guard: 'NAME_LAYOUTS_H',             // optional include guard
//   });
//   writeFileSync('build/NAME.wasm.h', cHeader);      // the guest #includes this instead of NAME.h
//   writeFileSync('build/NAME.layout.ts', tsModule);  // readEvent(bytes), EVENT_SIZE, enums
//
// Errors: BtfStructMissingError (WASMBPF_BTF_STRUCT_MISSING) when a struct never reached the
// object's BTF, BtfFormatError (WASMBPF_BTF_FORMAT) for a malformed object or one without
// BTF, BtfLayoutError (WASMBPF_BTF_LAYOUT) for a layout wasm32 C cannot express.
import { readObjectBtf } from './btf-parse.ts';
import { generateCHeader } from './c-header.ts';
import { buildLayouts, type LayoutSet } from './layout.ts';
import { sharedDefines } from './shared-header.ts';
import { generateTsModule } from './ts-module.ts';
import { BtfLayoutError } from './errors.ts';

export interface WasmLayoutOptions {
  /** The shared structs: bare names (`event`) or with their keyword (`union value`). */
  structs: string[];
  /** Include guard of the C header; default WASMBPF_BTF_LAYOUTS_H. */
  guard?: string;
  /** Source of the tool's shared header: its object-like #defines are copied into the C header. */
  sharedHeader?: string;
  /** Name of the object, for the banner comments of the generated files. */
  source?: string;
}

export interface WasmLayouts {
  /** Self-contained C header for clang --target=wasm32-wasi: definitions and static asserts. */
  cHeader: string;
  /** Self-contained TypeScript module: an interface, SIZE and read function per struct. */
  tsModule: string;
  /** The parsed kernel layouts the two were generated from (for decodeRecord). */
  layouts: LayoutSet;
}

export function generateWasmLayouts(objectBytes: Uint8Array, opts: WasmLayoutOptions): WasmLayouts {
  if (opts.structs.length === 0) throw new BtfLayoutError('no shared structs given: nothing to generate');
  const layouts = buildLayouts(readObjectBtf(objectBytes), opts.structs);
  const c = { ...(opts.guard ? { guard: opts.guard } : {}), ...(opts.source ? { source: opts.source } : {}) };
  const defines = opts.sharedHeader ? sharedDefines(opts.sharedHeader) : [];
  return {
    cHeader: generateCHeader(layouts, defines.length ? { ...c, defines } : c),
    tsModule: generateTsModule(layouts, opts.source ? { source: opts.source } : {}),
    layouts,
  };
}

export { sharedStructNames, sharedDefines } from './shared-header.ts';
export { readObjectBtf, parseBtf } from './btf-parse.ts';
export { buildLayouts, kernelSizeOf, KERNEL_POINTER_SIZE } from './layout.ts';
export type { LayoutSet, RecordLayout, MemberLayout, FieldType, EnumLayout } from './layout.ts';
export type { Btf, BtfType, BtfMember } from './btf-types.ts';
export { generateCHeader, type CHeaderOptions } from './c-header.ts';
export { generateTsModule, tsTypeName, tsSizeName, type TsModuleOptions } from './ts-module.ts';
export { decodeRecord, type DecodedRecord, type DecodedValue } from './decode.ts';
export { BtfFormatError, BtfLayoutError, BtfStructMissingError, BtfDecodeError } from './errors.ts';
