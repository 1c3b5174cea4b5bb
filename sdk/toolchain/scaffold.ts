// scaffoldTool: makes a new tool folder from sdk/templates/tool, ready for `wasmbpf compile`
// and `wasmbpf run` as is. Templates are plain files with three placeholders: __NAME__ (the
// tool's name), __IDENT__ (it as a C identifier: '-' becomes '_'; skeleton functions are
// __IDENT___bpf__open...) and __GUARD__ (an include-guard word). A file named NAME.* becomes
// TOOLNAME.*. The folder must not exist yet: nothing is ever overwritten.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolTemplateDir } from './assets.ts';
import { validateBuildFile } from './build-file.ts';
import { BuildFileError } from './errors.ts';
import { WasmbpfError } from '../../errors/index.ts';

export class ScaffoldError extends WasmbpfError {
  readonly code = 'WASMBPF_SCAFFOLD';
}

export interface ScaffoldedTool {
  dir: string;
  files: string[];
}

/** Creates PARENT/NAME with the template's files; returns the folder and the files made. */
export async function scaffoldTool(name: string, parent = '.'): Promise<ScaffoldedTool> {
  try {
    validateBuildFile({ name }); // the same rule as the build file's "name"
  } catch (cause) {
    throw new ScaffoldError(`invalid tool name '${name}': a letter, then letters, digits, '_' or '-' (at most 64)`, { cause: cause as BuildFileError });
  }
  const dir = path.resolve(parent, name);
  try {
    await mkdir(path.dirname(dir), { recursive: true });
    await mkdir(dir); // fails if it exists: never overwrite someone's tool
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ScaffoldError(code === 'EEXIST' ? `${dir} already exists` : `cannot create ${dir}: ${(cause as Error).message}`, { cause });
  }
  const ident = name.replace(/-/g, '_');
  const fill = (text: string) =>
    text.replaceAll('__NAME__', name).replaceAll('__IDENT__', ident).replaceAll('__GUARD__', `__${ident.toUpperCase()}`);
  const files: string[] = [];
  try {
    for (const entry of (await readdir(toolTemplateDir())).sort()) {
      const target = path.join(dir, entry.replace(/^NAME\./, `${name}.`));
      await writeFile(target, fill(await readFile(path.join(toolTemplateDir(), entry), 'utf8')), { flag: 'wx' });
      files.push(target);
    }
  } catch (cause) {
    await rm(dir, { recursive: true, force: true }); // no half-made tool left behind
    throw new ScaffoldError(`cannot write the template into ${dir}: ${(cause as Error).message}`, { cause });
  }
  return { dir, files };
}
