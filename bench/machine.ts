// Facts about the machine a result came from, recorded beside the numbers: ratios only compare
// across runs on the same kind of machine, kernel and libbpf.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  arch: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  libbpf: string;
  clang: string;
  loadAverage: number[];
}

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineFacts(): MachineFacts {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return {
    arch: process.arch,
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    libbpf: quiet('dpkg-query', ['-W', '-f', '${Version}', 'libbpf1']),
    clang: quiet('clang-19', ['--version']).split('\n')[0] ?? 'unknown',
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
