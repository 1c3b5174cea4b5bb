// Placeholder until the 'inspect' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'inspect',
  help: 'Usage: wasmbpf inspect (not available yet)',
  async run() {
    process.stderr.write('wasmbpf inspect: not available in this build yet\n');
    return 1;
  },
};
export default command;
