// Placeholder until the 'run' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'run',
  help: 'Usage: wasmbpf run (not available yet)',
  async run() {
    process.stderr.write('wasmbpf run: not available in this build yet\n');
    return 1;
  },
};
export default command;
