// `wasmbpf key generate`: a signing key pair in cosign's format (image/signature/keys.ts), so the
// same files work with `wasmbpf sign`, `cosign sign --key` and `skopeo copy
// --sign-by-sigstore-private-key`, and the public key with every verifier of those tools.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';
import { KEY_PASSWORD_ENV, keyPassword } from '../key-password.ts';

const HELP = `Usage: wasmbpf key generate [--output-key-prefix PREFIX]

Writes a new ECDSA P-256 key pair in the format cosign writes: PREFIX.key, the private key
encrypted with a password (scrypt + nacl secretbox, PEM "ENCRYPTED SIGSTORE PRIVATE KEY"), and
PREFIX.pub, the public key (PEM). The password comes from ${KEY_PASSWORD_ENV}, else it is asked
on the terminal twice. Existing files are never overwritten.

  wasmbpf sign REF --key PREFIX.key                 sign a pushed image
  wasmbpf pull --verify-key PREFIX.pub REF          pull it only if signed with that key

Options:
      --output-key-prefix PREFIX   file names without .key/.pub (default: cosign)
  -h, --help                       show this help
`;

const command: Command = {
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'output-key-prefix': { type: 'string' } },
    });
    if (positionals.length !== 1 || positionals[0] !== 'generate') throw new UsageError('expected: wasmbpf key generate');
    const prefix = values['output-key-prefix'] ?? 'cosign';
    const privatePath = `${prefix}.key`;
    const publicPath = `${prefix}.pub`;
    for (const file of [privatePath, publicPath]) {
      if (fs.existsSync(file)) throw new UsageError(`${file} exists; remove it or pick another --output-key-prefix`);
    }
    const password = await keyPassword('new');
    const { generateKeyPair } = await import('../../image/signature/keys.ts');
    const pair = await generateKeyPair(password);
    // 'wx': fail rather than replace a file that appeared since the check above.
    fs.writeFileSync(privatePath, pair.privateKey, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(publicPath, pair.publicKey, { mode: 0o644, flag: 'wx' });
    process.stdout.write(`Private key written to ${privatePath}\nPublic key written to ${publicPath}\n`);
    return 0;
  },
};
export default command;
