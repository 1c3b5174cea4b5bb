// `wasmbpf`: dispatches to one subcommand. Errors with a stable `code` are printed as
// "wasmbpf: message" with a non-zero exit; anything else is a bug and shows its stack.
import type { Command } from './command.ts';
import { UsageError } from './command.ts';

/** Each command's one line for `wasmbpf --help` is here, beside its loader: the top help loads no command. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  run: { summary: 'run a Wasm-bpf module, image tarball or image reference', load: () => import('./commands/run.ts') },
  compile: { summary: 'compile a tool folder (NAME.bpf.c + NAME.c) into NAME.wasm', load: () => import('./commands/compile.ts') },
  new: { summary: 'scaffold a new tool folder that builds and runs as is', load: () => import('./commands/new.ts') },
  build: { summary: 'build a tool folder into an OCI image', load: () => import('./commands/build.ts') },
  images: { summary: 'list images in the local store', load: () => import('./commands/images.ts') },
  inspect: { summary: 'show an image\'s layers, architectures and annotations', load: () => import('./commands/inspect.ts') },
  push: { summary: 'push an image to a registry', load: () => import('./commands/push.ts') },
  pull: { summary: 'pull an image from a registry', load: () => import('./commands/pull.ts') },
  sign: { summary: 'sign an image in its registry (cosign format)', load: () => import('./commands/sign.ts') },
  key: { summary: 'generate a signing key pair (cosign format)', load: () => import('./commands/key.ts') },
  install: { summary: 'install the containerd shim and its containerd config', load: () => import('./commands/install.ts') },
  uninstall: { summary: 'undo `wasmbpf install`', load: () => import('./commands/uninstall.ts') },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `Usage: wasmbpf COMMAND [ARGS...]\n\nRun eBPF tools shipped as WebAssembly OCI images.\n\nCommands:\n${lines.join('\n')}\n\nRun 'wasmbpf COMMAND --help' for a command's options, 'wasmbpf --version' for the version.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  if (name === '--version') {
    process.stdout.write('wasmbpf 0.1.0\n');
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`wasmbpf: unknown command '${name}'\n\n${topHelp()}`);
    return 2;
  }
  const command = (await entry.load()).default;
  if (command.helpRequested ? command.helpRequested(rest) : rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    const isParseError = err instanceof Error && String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || isParseError) {
      process.stderr.write(`wasmbpf ${name}: ${err.message}\nRun 'wasmbpf ${name} --help' for usage.\n`);
      return 2;
    }
    if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
      process.stderr.write(`wasmbpf ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
