// Runs one build program to completion and collects its output. The toolchain only ever runs
// Debian's clang-19, llvm-objcopy-19 and bpftool, each with an argument vector (never a
// shell), so file names with spaces or quotes are passed through unharmed.
import { spawn } from 'node:child_process';
import { CompileError, ToolMissingError } from './errors.ts';

/** Which Debian package provides each program, for the "not installed" message. */
const PACKAGE_OF: Record<string, string> = {
  'clang-19': 'clang-19 (and lld-19, wasi-libc, libclang-rt-19-dev-wasm32 for the guest)',
  'llvm-objcopy-19': 'llvm-19',
  bpftool: 'bpftool',
};

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs `program args`; resolves with its output, or rejects with a CompileError quoting its stderr. */
export function run(program: string, args: string[], what: string, opts: { cwd?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') {
        reject(new ToolMissingError(`${program} is not installed (apt-get install ${PACKAGE_OF[program] ?? program})`, { cause }));
      } else {
        reject(new CompileError(`${what}: could not run ${program}: ${cause.message}`, { cause }));
      }
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) {
        resolve({ stdout: Buffer.concat(out), stderr });
        return;
      }
      const status = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(new CompileError(`${what}: ${program} ${status}\n${stderr.trimEnd()}`));
    });
  });
}
