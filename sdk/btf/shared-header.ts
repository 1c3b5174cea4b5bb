// Reads what the toolchain needs from a tool's shared header (NAME.h): the names of the
// structs and unions it defines (the records to generate) and its object-like #defines
// (TASK_COMM_LEN and friends, which the guest still needs once it includes the generated
// header instead of NAME.h). A tokenizer-light scan, not a C parser: comments and string
// literals are blanked first so a `struct x {` in a comment does not count.

/** Blanks comments and string/char literals, keeping line breaks so line structure survives. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) =>
    m.startsWith('/') ? m.replace(/[^\n]/g, ' ') : m[0] === '"' ? '""' : "''",
  );
}

/**
 * Every `struct X {` and `union X {` defined in the header, in order of appearance, without
 * duplicates. Unions are returned as `union X` so they are looked up as unions.
 */
export function sharedStructNames(headerSource: string): string[] {
  const names: string[] = [];
  const re = /\b(struct|union)\s+(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*([A-Za-z_]\w*)\s*(?:__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)\s*)*\{/g;
  for (const m of stripComments(headerSource).matchAll(re)) {
    const name = m[1] === 'union' ? `union ${m[2]}` : m[2]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The object-like `#define NAME value` lines of the header (not function-like macros, not
 * include guards, which have no value), joined across backslash continuations.
 */
export function sharedDefines(headerSource: string): string[] {
  const lines = stripComments(headerSource).replace(/\\\n/g, ' ').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)(\s+.*\S)?\s*$/.exec(line);
    if (m?.[2]) out.push(`#define ${m[1]}${m[2].replace(/\s+/g, ' ')}`);
  }
  return out;
}
