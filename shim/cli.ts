// The shim binary's command line: parse containerd's flags and run the action. `start` and
// `delete` speak to containerd on stdout (an address; a marshalled DeleteResponse) and so must
// print nothing else; their errors go to stderr with a non-zero exit.
import { parseFlags } from './flags.ts';
import { RUNTIME_TYPE, SHIM_BINARY } from './names.ts';

export const VERSION_TEXT = `${SHIM_BINARY} (runtime ${RUNTIME_TYPE}, shim API v2)\n`;

export async function runShim(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    process.stderr.write(`${SHIM_BINARY}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    switch (flags.action) {
      case 'version':
        process.stdout.write(VERSION_TEXT);
        return 0;
      case 'start': {
        const { start } = await import('./start.ts');
        process.stdout.write(await start(flags));
        return 0;
      }
      case 'delete': {
        const { deleteBundle } = await import('./delete.ts');
        process.stdout.write(await deleteBundle(flags));
        return 0;
      }
      case 'serve': {
        (await import('./process-name.ts')).nameShimProcess();
        const { serve } = await import('./serve.ts');
        await serve(flags);
        return -1; // keep running: the server exits the process itself
      }
    }
  } catch (error) {
    process.stderr.write(`${SHIM_BINARY} ${flags.action}: ${(error as Error).message}\n`);
    return 1;
  }
}
