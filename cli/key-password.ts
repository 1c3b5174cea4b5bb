// The password of a signing key: WASMBPF_KEY_PASSWORD when set (scripts, CI; an empty value is
// an empty password, as with cosign's COSIGN_PASSWORD), else asked on the terminal without echo.
// Without a terminal and without the variable there is nobody to ask: a clear error, not a hang.
import { UsageError } from './command.ts';

export const KEY_PASSWORD_ENV = 'WASMBPF_KEY_PASSWORD';

export async function keyPassword(purpose: 'decrypt' | 'new', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env[KEY_PASSWORD_ENV];
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) throw new UsageError(`no terminal to ask the key's password on: set ${KEY_PASSWORD_ENV}`);
  if (purpose === 'decrypt') return ask('Enter password for private key: ');
  const first = await ask('Enter password for private key: ');
  const again = await ask('Enter password for private key again: ');
  if (first !== again) throw new UsageError('the two passwords differ');
  return first;
}

/** One line from the terminal in raw mode, not echoed; Ctrl-C aborts. */
function ask(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new UsageError('interrupted'));
        if (char === '\u007f' || char === '\b') line = line.slice(0, -1);
        else line += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
