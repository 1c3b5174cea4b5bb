// `wasmbpf new NAME`: scaffolds a tool folder that builds with `wasmbpf compile` and runs with
// `wasmbpf run` as is (templates in sdk/templates/tool).
import { parseArgs } from 'node:util';
import path from 'node:path';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { UsageError, type Command } from '../command.ts';

const HELP = `Usage: wasmbpf new [--dir PARENT] NAME

Creates the tool folder PARENT/NAME (default PARENT: .) with NAME.bpf.c (the eBPF side),
NAME.c (the Wasm guest), NAME.h (the record they share), wasmbpf.json and a README.
The new tool prints every exec; build and run it with:
  wasmbpf compile NAME && wasmbpf run NAME/build/NAME.wasm

Options:
      --dir PARENT   where to create the folder
  -h, --help         show this help
`;

const command: Command = {
  summary: 'scaffold a new tool folder that builds and runs as is',
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: { dir: { type: 'string' } }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'one NAME only' : 'missing NAME');
    const name = positionals[0]!;
    const tool = await scaffoldTool(name, values.dir ?? '.');
    const r = path.relative(process.cwd(), tool.dir);
    const rel = r && !r.startsWith('..') ? r : tool.dir;
    process.stdout.write(
      `Created ${rel}/: ${tool.files.map((f) => path.basename(f)).join(', ')}\n` +
      `Next:\n  wasmbpf compile ${rel}\n  wasmbpf run ${rel}/build/${name}.wasm\n`,
    );
    return 0;
  },
};
export default command;
