// Placeholder until the 'new' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'new',
  help: 'Usage: wasmbpf new (not available yet)',
  async run() {
    process.stderr.write('wasmbpf new: not available in this build yet\n');
    return 1;
  },
};
export default command;
