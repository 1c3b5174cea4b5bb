// Placeholder until the 'push' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'push',
  help: 'Usage: wasmbpf push (not available yet)',
  async run() {
    process.stderr.write('wasmbpf push: not available in this build yet\n');
    return 1;
  },
};
export default command;
