// The examples' conformance path through the CLI, as a user types it: `bin/wasmbpf run
// TOOL.wasm ARGS`, in a process group of its own so that anything it left running shows.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NO_BPF_IDS, type ExamplePath, type ExampleRun } from './example-conformance.ts';
import type { ExampleRow } from './example-table.ts';
import { compileExamples, ROOT, type CompiledExamples } from './examples.ts';

/** Pids of the processes in this process group (/proc/PID/stat's fifth field). */
function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) members.push(Number(pid));
    } catch {
      // ended while we looked
    }
  }
  return members;
}

export class CliPath implements ExamplePath {
  readonly name = 'wasmbpf run';
  #examples: CompiledExamples | undefined;

  async prepare(rows: readonly ExampleRow[]): Promise<void> {
    this.#examples = await compileExamples(rows.map((r) => r.example));
  }

  async start(row: ExampleRow): Promise<ExampleRun> {
    const child = spawn(path.join(ROOT, 'bin/wasmbpf'), ['run', this.#examples!.tool(row.example).wasmPath, ...row.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    let ended = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    }));
    const pgid = child.pid!;
    return {
      stdout: () => stdout,
      stderr: () => stderr,
      get ended() { return ended; },
      bpfHolder: async () => pgid,
      heldBefore: NO_BPF_IDS,
      async interrupt() {
        child.kill('SIGINT');
        const { code, signal } = await exited;
        assert.equal(signal, null, `ended by ${signal}\nstderr:\n${stderr}`);
        return code!;
      },
      async assertNothingLeft() {
        assert.deepEqual(processGroup(pgid), [], 'no process of the run is left');
      },
      async kill() {
        if (!ended) {
          process.kill(-pgid, 'SIGKILL');
          await exited;
        }
      },
    };
  }

  async close(): Promise<void> {
    this.#examples?.remove();
  }
}
