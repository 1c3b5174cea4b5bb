// `wasmbpf new NAME`: scaffolds a tool folder that builds with `wasmbpf compile` and runs with
// `wasmbpf run` as is (templates in sdk/templates/tool).
import { parseArgs } from 'node:util';
import path from 'node:path';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { UsageError, type Command } from '../command.ts';
import { displayPath } from '../display-path.ts';

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
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { dir: { type: 'string' } }, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'one NAME only' : 'missing NAME');
    const name = positionals[0]!;
    const tool = await scaffoldTool(name, values.dir ?? '.');
    const rel = displayPath(tool.dir);
    process.stdout.write(
      `Created ${rel}/: ${tool.files.map((f) => path.basename(f)).join(', ')}\n` +
      `Next:\n  wasmbpf compile ${rel}\n  wasmbpf run ${rel}/build/${name}.wasm\n`,
    );
    return 0;
  },
};
export default command;
