// Errors of the BTF layout generator. Each has a stable `code` callers match on: a malformed
// object is the compiler's or the caller's fault (FORMAT), a missing struct is the tool
// author's (the type never reached BTF, see docs/struct-layouts.md), an unsupported layout
// is ours (a construct the wasm32 C side cannot reproduce at the kernel's offsets).
import { WasmbpfError } from '../../errors/index.ts';

export class BtfFormatError extends WasmbpfError {
  readonly code = 'WASMBPF_BTF_FORMAT';
}

export class BtfStructMissingError extends WasmbpfError {
  readonly code = 'WASMBPF_BTF_STRUCT_MISSING';
  readonly structName: string;
  constructor(structName: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.structName = structName;
  }
}

export class BtfLayoutError extends WasmbpfError {
  readonly code = 'WASMBPF_BTF_LAYOUT';
}

/** Bytes handed to a reader are shorter than the struct they should hold. */
export class BtfDecodeError extends WasmbpfError {
  readonly code = 'WASMBPF_BTF_DECODE';
}
