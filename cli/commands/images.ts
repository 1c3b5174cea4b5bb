// Placeholder until the 'images' command lands; it refuses to run rather than pretend.
import type { Command } from '../command.ts';

const command: Command = {
  summary: 'images',
  help: 'Usage: wasmbpf images (not available yet)',
  async run() {
    process.stderr.write('wasmbpf images: not available in this build yet\n');
    return 1;
  },
};
export default command;
