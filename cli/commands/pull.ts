// Placeholder until the 'pull' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'pull',
  help: 'Usage: wasmbpf pull (not available yet)',
  async run() {
    process.stderr.write('wasmbpf pull: not available in this build yet\n');
    return 1;
  },
};
export default command;
