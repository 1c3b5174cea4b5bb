// `wasmbpf install`: puts the containerd shim launcher on containerd's PATH and the wasmbpf
// runtime into containerd's config. The logic lives in cli/install/.
import type { Command } from '../command.ts';
import { install } from '../install/installer.ts';
import { currentInstallation } from '../install/launchers.ts';
import { parseInstallArgs } from '../install/options.ts';

const command: Command = {
  help: `Usage: wasmbpf install [--bin-dir DIR] [--config FILE] [--node-config FILE]
                      [--verify-key KEY.pub]... [--require-signatures] [--with-cli] [--dry-run]

Writes the shim launcher containerd-shim-wasmbpf-v1 into DIR and adds the runtime
io.containerd.wasmbpf.v1 as CRI handler "wasmbpf", plus the stream processor that unpacks
wasmbpf image layers, to containerd's config. Adds the signed-images table [verify] to the
shim's node file: by default unsigned images run; --verify-key and --require-signatures make
the node run only images signed with one of the keys (docs/SECURITY.md). Shows each diff;
running it again changes nothing. Undo with 'wasmbpf uninstall'.

Options:
  --bin-dir DIR          a directory on containerd's PATH (default /usr/local/bin)
  --config FILE          containerd's config, version 2 or 3 (default /etc/containerd/config.toml);
                         created if missing
  --node-config FILE     the shim's node file (default /etc/wasmbpf/shim.toml); created if missing,
                         left alone if it has a [verify] table of its own
  --verify-key KEY.pub   a public key (cosign format) signatures are checked with; copied into
                         keys/ beside the node file (repeatable)
  --require-signatures   every image must be signed with one of the keys (allow-unsigned = false)
  --with-cli             also write a 'wasmbpf' launcher into DIR
  --dry-run              show what would change, write nothing
  -h, --help             show this help

The launchers run this installation's pinned Node on its built JavaScript: run
'npm run build' first. Restart containerd after the config changed.`,
  async run(argv) {
    const opts = parseInstallArgs(argv, { allowWithCli: true });
    const nodeConfig = { file: opts.nodeConfigFile, verifyKeys: opts.verifyKeys, requireSignatures: opts.requireSignatures };
    await install({ ...opts, installation: currentInstallation(), nodeConfig }, { out: (s) => process.stdout.write(s) });
    return 0;
  },
};
export default command;
