// Placeholder until the 'compile' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'compile',
  help: 'Usage: wasmbpf compile (not available yet)',
  async run() {
    process.stderr.write('wasmbpf compile: not available in this build yet\n');
    return 1;
  },
};
export default command;
