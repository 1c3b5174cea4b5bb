// Placeholder until the 'build' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'build',
  help: 'Usage: wasmbpf build (not available yet)',
  async run() {
    process.stderr.write('wasmbpf build: not available in this build yet\n');
    return 1;
  },
};
export default command;
