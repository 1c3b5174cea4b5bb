// Errors of the tool toolchain. Each has a stable `code` callers match on; a compiler's own
// words (its stderr) are kept in the message, since that is what the tool author needs to read.
import { WasmbpfError } from '../../errors/index.ts';

/** wasmbpf.json is missing, unreadable, or describes something that cannot be built. */
export class BuildFileError extends WasmbpfError {
  readonly code = 'WASMBPF_BUILD_FILE';
}

/** A build step (clang, bpftool, llvm-objcopy, the layout generator) failed. */
export class CompileError extends WasmbpfError {
  readonly code = 'WASMBPF_COMPILE';
}

/** A program the toolchain needs (clang-19, bpftool, ...) is not installed. */
export class ToolMissingError extends WasmbpfError {
  readonly code = 'WASMBPF_TOOL_MISSING';
}
