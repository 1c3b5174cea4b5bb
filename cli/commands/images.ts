// `wasmbpf images`: the images in the local store.
import { parseArgs } from 'node:util';
import { hostArch } from '../../oci-spec/arch.ts';
import type { Command } from '../command.ts';

const HELP = `Usage: wasmbpf images [--json]

Lists the images in the local store ($WASMBPF_HOME, default ~/.wasmbpf): name, manifest
digest, the architectures of its eBPF objects and its size.

Options:
      --json     print the list as JSON
  -h, --help     show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
    const { ImageStore } = await import('../../image/store.ts');
    const { loadImage } = await import('../../image/load.ts');
    const { describeImage } = await import('../../image/inspect.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const { formatTable, humanSize, shortHex } = await import('../../image/format.ts');
    const store = ImageStore.open();
    const machine = hostArch();
    const rows = [];
    for (const image of await store.list()) {
      try {
        rows.push(describeImage(await loadImage(store, image.name, image.descriptor, machine), store.label));
      } catch (err) {
        // One damaged entry must not hide the others; say what is wrong with it.
        process.stderr.write(`wasmbpf images: ${familiarName(image.name)}: ${(err as Error).message}\n`);
      }
    }
    if (values.json) {
      const list = rows.map((r) => ({ name: r.name, digest: r.digest, format: r.format, arches: r.arches, size: r.size }));
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      formatTable(
        ['NAME', 'DIGEST', 'FORMAT', 'ARCHES', 'SIZE'],
        rows.map((r) => [familiarName(r.name), shortHex(r.digest), r.format, r.arches.join(',') || '-', humanSize(r.size)]),
      ),
    );
    return 0;
  },
};
export default command;
