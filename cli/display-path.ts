// Paths in the CLI's output: relative to the working directory when they are below it (what the
// user typed, and can paste back), else absolute.
import path from 'node:path';

export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}
