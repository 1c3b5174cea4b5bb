// Errors of the tool toolchain. Each has a stable `code` callers match on; a compiler's own
// words (its stderr) are kept in the message, since that is what the tool author needs to read.

/** wasmbpf.json is missing, unreadable, or describes something that cannot be built. */
export class BuildFileError extends Error {
  readonly code = 'WASMBPF_BUILD_FILE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildFileError';
  }
}

/** A build step (clang, bpftool, llvm-objcopy, the layout generator) failed. */
export class CompileError extends Error {
  readonly code = 'WASMBPF_COMPILE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CompileError';
  }
}

/** A program the toolchain needs (clang-19, bpftool, ...) is not installed. */
export class ToolMissingError extends Error {
  readonly code = 'WASMBPF_TOOL_MISSING';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolMissingError';
  }
}
