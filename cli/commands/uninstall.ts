// Placeholder until the 'uninstall' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'uninstall',
  help: 'Usage: wasmbpf uninstall (not available yet)',
  async run() {
    process.stderr.write('wasmbpf uninstall: not available in this build yet\n');
    return 1;
  },
};
export default command;
