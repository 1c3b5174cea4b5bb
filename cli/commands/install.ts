// Placeholder until the 'install' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'install',
  help: 'Usage: wasmbpf install (not available yet)',
  async run() {
    process.stderr.write('wasmbpf install: not available in this build yet\n');
    return 1;
  },
};
export default command;
