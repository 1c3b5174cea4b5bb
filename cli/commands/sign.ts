// `wasmbpf sign REF --key cosign.key`: signs an image in its registry (image/signature/sign.ts).
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { KEY_PASSWORD_ENV, keyPassword } from '../key-password.ts';
import { REGISTRY_HELP, REGISTRY_OPTIONS, registryAccess } from '../registry-options.ts';

const HELP = `Usage: wasmbpf sign [OPTIONS] --key cosign.key REF

Signs the image REF as it is in its registry (push it first): the manifest digest REF resolves
to is put in a sigstore "simple signing" payload, signed with the ECDSA key, and stored the way
cosign stores it, as the tag sha256-<digest>.sig in the same repository. Signing again with
another key adds a signature; the same key twice changes nothing. cosign, skopeo (with
use-sigstore-attachments) and \`wasmbpf pull/run --verify-key\` read it.

The key is cosign's encrypted format (\`wasmbpf key generate\`, \`cosign generate-key-pair\`);
its password comes from ${KEY_PASSWORD_ENV}, else the terminal.

Options:
      --key FILE          the private key (required)
${REGISTRY_HELP}
  -h, --help              show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...REGISTRY_OPTIONS, key: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one image reference');
    if (!values.key) throw new UsageError('--key FILE is required (a key from `wasmbpf key generate`)');
    if (values['password-stdin'] && process.env[KEY_PASSWORD_ENV] === undefined) {
      throw new UsageError(`--password-stdin takes standard input, so the key's password must come from ${KEY_PASSWORD_ENV}`);
    }
    const access = await registryAccess(values);
    const { readSigningKey } = await import('../../image/signature/key-files.ts');
    const key = await readSigningKey(values.key, await keyPassword('decrypt'));
    const { signImage } = await import('../../image/signature/sign.ts');
    const { familiarName } = await import('../../image/reference.ts');
    const result = await signImage(positionals[0]!, key, access);
    const what = result.added ? 'signed' : 'already signed with this key:';
    process.stdout.write(`${what} ${familiarName(result.dockerReference)} ${result.digest} (signature in ${result.tag})\n`);
    return 0;
  },
};
export default command;
