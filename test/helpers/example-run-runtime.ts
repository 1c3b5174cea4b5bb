// The examples' conformance path through the runtime's contract in the test's own process
// (startModule, as the CLI and the shim call it): the module's stdout and stderr go to files, and
// nothing of it may stay open in this process once it has ended.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModuleRunner, type RunningModule, type StartModule } from '../../runtime/index.ts';
import { bpfIdsHeldBy } from './bpf-state.ts';
import type { ExamplePath, ExampleRun } from './example-conformance.ts';
import type { ExampleRow } from './example-table.ts';
import { compileExamples, type CompiledExamples } from './examples.ts';

export class RuntimePath implements ExamplePath {
  readonly name = 'runtime';
  #examples: CompiledExamples | undefined;
  #startModule: StartModule | undefined;

  async prepare(rows: readonly ExampleRow[]): Promise<void> {
    this.#startModule = await loadModuleRunner();
    this.#examples = await compileExamples(rows.map((r) => r.example));
  }

  async start(row: ExampleRow): Promise<ExampleRun> {
    const tool = this.#examples!.tool(row.example);
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const heldBefore = bpfIdsHeldBy(process.pid);
    const file = (stream: string) => path.join(this.#examples!.dir, `${row.example}-${stream}-${Date.now()}.txt`);
    const out = { path: file('stdout'), fd: -1 };
    const err = { path: file('stderr'), fd: -1 };
    out.fd = fs.openSync(out.path, 'w+');
    err.fd = fs.openSync(err.path, 'w+');
    const module: RunningModule = this.#startModule!({ wasm: fs.readFileSync(tool.wasmPath), args: [row.example, ...row.args], stdout: out.fd, stderr: err.fd });
    let code: number | undefined;
    const exited = module.exited.then((status) => {
      code = status.code;
      fs.closeSync(out.fd);
      fs.closeSync(err.fd);
      return status.code;
    });
    return {
      stdout: () => fs.readFileSync(out.path, 'utf8'),
      stderr: () => fs.readFileSync(err.path, 'utf8'),
      get ended() { return code !== undefined; },
      bpfHolder: async () => process.pid,
      heldBefore,
      async interrupt() {
        module.stop('SIGINT');
        return exited;
      },
      async assertNothingLeft() {
        // Every fd of the module (its eBPF objects, ring buffers, perf events, sockets) is closed.
        const deadline = Date.now() + 2000;
        while (fs.readdirSync('/proc/self/fd').length > fdsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'the test process\'s fds are back to what they were');
      },
      async kill() {
        module.stop('SIGKILL');
        await exited;
      },
    };
  }

  async close(): Promise<void> {
    this.#examples?.remove();
  }
}
