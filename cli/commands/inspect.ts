// `wasmbpf inspect REF|IMAGE.tar|MODULE.wasm`: an image's layers, architectures and annotations.
import { parseArgs } from 'node:util';
import { ARCHES } from '../../oci-spec/arch.ts';
import { parseArchOption } from '../arch-option.ts';
import { UsageError, type Command } from '../command.ts';
import { REGISTRY_HELP, REGISTRY_OPTIONS, registryAccess } from '../registry-options.ts';

const HELP = `Usage: wasmbpf inspect [OPTIONS] REF|IMAGE.tar|DIR|MODULE.wasm

Shows an image's manifest digest, command line, layers (the Wasm module, the eBPF object of
each architecture, or root filesystem layers), and annotations. A reference is read from the
local store, else from its registry without pulling it. DIR is an OCI image layout directory
(not a tool folder: \`wasmbpf build\` it first); for a bare MODULE.wasm, its digest, size and
imports.

Options:
      --json              print as JSON
      --arch ARCH         pick a multi-platform image's manifest as on ARCH (${ARCHES.join(', ')})
${REGISTRY_HELP}
  -h, --help              show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        ...REGISTRY_OPTIONS,
        arch: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one REF, IMAGE.tar, DIR or MODULE.wasm');
    const hostArch = values.arch === undefined ? undefined : parseArchOption(values.arch);
    const { inspectTarget } = await import('../../image/inspect.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const { formatTable, humanSize, shortHex } = await import('../../image/format.ts');
    const info = await inspectTarget(positionals[0]!, {
      ...(hostArch ? { hostArch } : {}),
      ...(await registryAccess(values)),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    if (info.kind === 'module') {
      process.stdout.write(
        formatTable(['FIELD', 'VALUE'], [
          ['Module', info.path],
          ['Digest', info.digest],
          ['Size', humanSize(info.size)],
          ['Imports', info.imports.join(', ') || '-'],
        ]),
      );
      return 0;
    }
    const out = [
      `Name:      ${familiarName(info.name)}`,
      `Source:    ${info.source}`,
      `Digest:    ${info.digest}`,
      `Format:    ${info.format} (config ${info.configMediaType})`,
      `Command:   ${info.command.length ? JSON.stringify(info.command) : '-'}`,
      ...(info.env.length ? [`Env:       ${info.env.join(' ')}`] : []),
      `Arches:    ${info.arches.join(', ') || '- (no eBPF object layers)'}`,
      `Size:      ${humanSize(info.size)}`,
      ...Object.entries(info.annotations).map(([k, v], i) => `${i === 0 ? 'Annotations:' : '           '} ${k}=${v}`),
      '',
      formatTable(
        ['LAYER', 'ROLE', 'ARCH', 'NAME', 'SIZE', 'DIGEST', 'MEDIA TYPE'],
        info.layers.map((l, i) => [
          String(i),
          l.role,
          l.arch ?? '-',
          l.objectName ?? l.annotations?.['org.opencontainers.image.title'] ?? '-',
          humanSize(l.size),
          shortHex(l.digest),
          l.mediaType,
        ]),
      ),
    ];
    process.stdout.write(`${out.join('\n')}`);
    return 0;
  },
};
export default command;
