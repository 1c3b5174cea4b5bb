// `wasmbpf pull REF`: copy an image from a registry into the local store.
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { REGISTRY_HELP, REGISTRY_OPTIONS, registryAccess } from '../registry-options.ts';
import { INTERRUPTED_EXIT_CODE, interruptibleTransfer } from '../transfer-interrupt.ts';

const HELP = `Usage: wasmbpf pull [OPTIONS] REF

Copies the image REF from its registry into the local store ($WASMBPF_HOME, default
~/.wasmbpf). Every blob is checked against its digest and size before it is stored; a failed
pull leaves nothing half-written. Plain HTTP is used for registries on loopback
(localhost, 127.0.0.0/8, ::1) or with --insecure; everything else uses HTTPS.

Credentials: --username/--password (or --password-stdin), else WASMBPF_REGISTRY_AUTH=user:password,
else the auths of ~/.docker/config.json (or $DOCKER_CONFIG/config.json). Basic and bearer-token
registries are both supported.

With --verify-key, the image is pulled only if the digest REF resolves to carries a signature
(cosign's format: \`wasmbpf sign\`, cosign, skopeo) made with one of the keys; otherwise it
fails naming the image, the digest and why, and nothing is stored.

Options:
      --verify-key FILE   a public key (PEM, cosign.pub) the image must be signed with (repeatable: any of them)
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
        ...REGISTRY_OPTIONS,
        'verify-key': { type: 'string', multiple: true },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one image reference');
    const access = await registryAccess(values);
    const { pullImage } = await import('../../image/pull.ts');
    const { terminalProgress } = await import('../../image/progress.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const verifyKeys = values['verify-key'] ? await (await import('../../image/signature/key-files.ts')).readVerificationKeys(values['verify-key']) : undefined;
    // Ctrl-C aborts the transfer so the blob in flight is discarded, not left in the store's tmp/.
    const result = await interruptibleTransfer('pull', 'interrupted; nothing partial was kept', (signal) => pullImage(positionals[0]!, {
      ...access,
      progress: terminalProgress(),
      signal,
      ...(verifyKeys ? { verifyKeys } : {}),
    }));
    if (!result) return INTERRUPTED_EXIT_CODE;
    if (verifyKeys) process.stderr.write(`verified the signature of ${result.name} with ${verifyKeys.map((k) => k.path).join(', ')}\n`);
    process.stdout.write(
      `pulled ${familiarName(result.name)} ${result.descriptor.digest} (${result.fetched.length} blobs downloaded, ${result.present.length} already present)\n`,
    );
    return 0;
  },
};
export default command;
