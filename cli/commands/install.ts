// `wasmbpf install`: puts the containerd shim launcher on containerd's PATH and the wasmbpf
// runtime into containerd's config. The logic lives in cli/install/.
import type { Command } from '../command.ts';
import { install } from '../install/installer.ts';
import { currentInstallation } from '../install/launchers.ts';
import { parseInstallArgs } from '../install/options.ts';

const command: Command = {
  summary: 'install the containerd shim and its containerd config',
  help: `Usage: wasmbpf install [--bin-dir DIR] [--config FILE] [--with-cli] [--dry-run]

Writes the shim launcher containerd-shim-wasmbpf-v1 into DIR and adds the runtime
io.containerd.wasmbpf.v1 as CRI handler "wasmbpf", plus the stream processor that unpacks
wasmbpf image layers, to containerd's config. Shows the config diff; running it again changes
nothing. Undo with 'wasmbpf uninstall'.

Options:
  --bin-dir DIR   a directory on containerd's PATH (default /usr/local/bin)
  --config FILE   containerd's config, version 2 or 3 (default /etc/containerd/config.toml);
                  created if missing
  --with-cli      also write a 'wasmbpf' launcher into DIR
  --dry-run       show what would change, write nothing
  -h, --help      show this help

The launchers run this installation's pinned Node on its built JavaScript: run
'npm run build' first. Restart containerd after the config changed.`,
  async run(argv) {
    const opts = parseInstallArgs(argv, { allowWithCli: true });
    await install({ ...opts, installation: currentInstallation() }, { out: (s) => process.stdout.write(s) });
    return 0;
  },
};
export default command;
