// `wasmbpf compile DIR`: builds a tool folder (wasmbpf.json, NAME.bpf.c, NAME.c) into
// DIR/build/NAME.wasm plus one eBPF object per architecture, and prints what it made.
import { parseArgs } from 'node:util';
import { compileTool } from '../../sdk/toolchain/compile.ts';
import { parseArchOption } from '../arch-option.ts';
import { UsageError, type Command } from '../command.ts';
import { displayPath } from '../display-path.ts';

const HELP = `Usage: wasmbpf compile [OPTIONS] [DIR]

Compiles the tool folder DIR (default: .) described by DIR/wasmbpf.json:
  NAME.bpf.c -> build/NAME.ARCH.bpf.o   one eBPF object per architecture (clang-19 -target bpf)
  NAME.c     -> build/NAME.wasm         the guest, with the build machine's object embedded
  NAME.h     -> build/NAME.wasm.h       wasm32 layouts of the shared structs, from BTF

Options:
      --arch ARCH      build objects for ARCH (repeatable; replaces the build file's "arches";
                       the build machine's architecture is always built)
  -o, --out-dir DIR    write outputs to DIR instead of DIR/build
  -h, --help           show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { arch: { type: 'string', multiple: true }, 'out-dir': { type: 'string', short: 'o' } },
      allowPositionals: true,
    });
    if (positionals.length > 1) throw new UsageError(`one tool folder at a time (got ${positionals.length})`);
    const arches = values.arch?.map(parseArchOption);
    const dir = positionals[0] ?? '.';
    const tool = await compileTool(dir, {
      ...(arches ? { arches } : {}),
      ...(values['out-dir'] ? { outDir: values['out-dir'] } : {}),
    });
    const lines = [`${tool.name}: ${displayPath(tool.wasmPath)}`];
    for (const o of tool.objects) lines.push(`  eBPF object (${o.arch}): ${displayPath(o.path)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
export default command;
