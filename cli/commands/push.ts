// `wasmbpf push [SOURCE] REF`: copy an image from the local store to a registry.
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { REGISTRY_HELP, REGISTRY_OPTIONS, registryAccess } from '../registry-options.ts';
import { INTERRUPTED_EXIT_CODE, interruptibleTransfer } from '../transfer-interrupt.ts';

const HELP = `Usage: wasmbpf push [OPTIONS] [SOURCE] REF

Copies the image REF from the local store to its registry (with SOURCE: push the stored image
SOURCE under the name REF). Blobs the registry already has are skipped (checked with HEAD);
large blobs are uploaded in chunks. Plain HTTP is used for registries on loopback or with
--insecure. Credentials as for \`wasmbpf pull\`.

Options:
${REGISTRY_HELP}
      --chunk-size BYTES  upload blobs larger than this in chunks of this size (default 8 MiB)
  -h, --help              show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...REGISTRY_OPTIONS,
        'chunk-size': { type: 'string' },
      },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('expected REF, or SOURCE and REF');
    const chunkSize = values['chunk-size'] === undefined ? undefined : Number(values['chunk-size']);
    if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 1)) throw new UsageError(`--chunk-size must be a positive number of bytes`);
    const access = await registryAccess(values);
    const [source, target] = positionals.length === 2 ? positionals : [undefined, positionals[0]!];
    const { pushImage } = await import('../../image/push.ts');
    const { terminalProgress } = await import('../../image/progress.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const progress = terminalProgress();
    const result = await interruptibleTransfer('push', 'interrupted (an unfinished upload is never committed as a blob)', (signal) => pushImage(target!, {
      ...(source ? { source } : {}),
      ...access,
      ...(chunkSize ? { chunkSize } : {}),
      progress,
      signal,
    }));
    if (!result) return INTERRUPTED_EXIT_CODE;
    if (!process.stderr.isTTY) {
      for (const d of result.skipped) process.stderr.write(`skipped ${d} (already in the registry)\n`);
      for (const d of result.pushed) process.stderr.write(`pushed ${d}\n`);
    }
    process.stdout.write(`pushed ${familiarName(result.name)} ${result.digest} (${result.pushed.length} blobs uploaded, ${result.skipped.length} skipped: already in the registry)\n`);
    return 0;
  },
};
export default command;
