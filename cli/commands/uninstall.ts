// `wasmbpf uninstall`: removes exactly what `wasmbpf install` added (its launchers, its blocks in
// containerd's config and the shim's node file, the keys it copied); the logic lives in cli/install/.
import type { Command } from '../command.ts';
import { uninstall } from '../install/installer.ts';
import { parseInstallArgs } from '../install/options.ts';

const command: Command = {
  help: `Usage: wasmbpf uninstall [--bin-dir DIR] [--config FILE] [--node-config FILE] [--dry-run]

Removes the launchers 'wasmbpf install' wrote into DIR, its block from containerd's config and
its [verify] block from the shim's node file (with the keys it copied beside it); everything
else in those files stays byte for byte. Use the same --bin-dir, --config and --node-config as
for install. Restart containerd after the config changed.

Options:
  --bin-dir DIR        default /usr/local/bin
  --config FILE        default /etc/containerd/config.toml
  --node-config FILE   default /etc/wasmbpf/shim.toml
  --dry-run            show what would change, write nothing
  -h, --help      show this help`,
  async run(argv) {
    const opts = parseInstallArgs(argv, { allowWithCli: false });
    await uninstall({ binDir: opts.binDir, configFile: opts.configFile, dryRun: opts.dryRun, nodeConfigFile: opts.nodeConfigFile }, { out: (s) => process.stdout.write(s) });
    return 0;
  },
};
export default command;
