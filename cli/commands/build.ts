// `wasmbpf build DIR -t REF [-o IMAGE.tar]`: compile a tool folder and store it as an image.
import { parseArgs } from 'node:util';
import { ANNOTATION_OBJECT_ARCH, ARCHES, MEDIA_TYPE_WASMBPF_OBJECT } from '../../oci-spec/index.ts';
import { parseArchOption } from '../arch-option.ts';
import { UsageError, type Command } from '../command.ts';

const HELP = `Usage: wasmbpf build DIR -t REF [-o IMAGE.tar] [--arch ARCH]... [--json]

Compiles the tool folder DIR (its wasmbpf.json names the sources and architectures) and stores
the result as an OCI image named REF in the local store ($WASMBPF_HOME, default ~/.wasmbpf).
The image carries the Wasm module and one eBPF object per architecture. Builds are
reproducible: the same sources give the same digest (set SOURCE_DATE_EPOCH to record a
creation time).

Options:
  -t, --tag REF        name of the image (e.g. 127.0.0.1:5000/execsnoop:v1)
  -o, --output FILE    also write an OCI image layout tarball (for \`ctr images import\`)
      --arch ARCH      build eBPF objects for ARCH instead of the build file's list
                       (repeatable; ${ARCHES.join(', ')}; the build machine's
                       architecture is always included)
      --json           print the result as JSON
  -h, --help           show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tag: { type: 'string', short: 't' },
        output: { type: 'string', short: 'o' },
        arch: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing the tool folder DIR' : `expected one DIR, got ${positionals.join(' ')}`);
    if (!values.tag) throw new UsageError('missing -t REF: the name to store the image under');
    const arches = values.arch?.map(parseArchOption);
    const { buildImage } = await import('../../image/build.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const result = await buildImage(positionals[0]!, { tag: values.tag, ...(values.output ? { output: values.output } : {}), ...(arches ? { arches } : {}) });
    const objectArches = result.image.blobs
      .filter((b) => b.descriptor.mediaType === MEDIA_TYPE_WASMBPF_OBJECT)
      .map((b) => b.descriptor.annotations?.[ANNOTATION_OBJECT_ARCH] ?? '?');
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ name: result.name, digest: result.descriptor.digest, output: result.output ?? null, arches: objectArches }, null, 2)}\n`);
      return 0;
    }
    const archList = objectArches.join(', ') || 'none';
    process.stdout.write(`built ${familiarName(result.name)} ${result.descriptor.digest} (eBPF objects: ${archList})\n`);
    if (result.output) process.stdout.write(`wrote ${result.output}\n`);
    return 0;
  },
};
export default command;
