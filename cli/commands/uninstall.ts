// `wasmbpf uninstall`: removes exactly what `wasmbpf install` added (its launchers, its block in
// containerd's config); the logic lives in cli/install/.
import type { Command } from '../command.ts';
import { uninstall } from '../install/installer.ts';
import { parseInstallArgs } from '../install/options.ts';

const command: Command = {
  summary: 'undo `wasmbpf install`',
  help: `Usage: wasmbpf uninstall [--bin-dir DIR] [--config FILE] [--dry-run]

Removes the launchers 'wasmbpf install' wrote into DIR and its block from containerd's config;
everything else in the config stays byte for byte. Use the same --bin-dir and --config as for
install. Restart containerd after the config changed.

Options:
  --bin-dir DIR   default /usr/local/bin
  --config FILE   default /etc/containerd/config.toml
  --dry-run       show what would change, write nothing
  -h, --help      show this help`,
  async run(argv) {
    const opts = parseInstallArgs(argv, { allowWithCli: false });
    await uninstall(opts, { out: (s) => process.stdout.write(s) });
    return 0;
  },
};
export default command;
