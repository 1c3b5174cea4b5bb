// The examples' conformance path through the shim: each example built into an image by `wasmbpf
// build` (example-image.ts), imported once into one private
// containerd for the whole file, and run with `ctr run --rm` as a user would; SIGINT through
// `ctr task kill`. Afterwards the shim server has exited, containerd has no task or container of
// the run, and its own fds are back to what they were.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { DEFAULT_NODE_POLICY } from '../../runtime/index.ts';
import { Containerd, WASMBPF_RUNTIME } from './containerd.ts';
import { NO_BPF_IDS, type ExamplePath, type ExampleRun } from './example-conformance.ts';
import type { ExampleRow } from './example-table.ts';
import { buildExampleImage } from './example-image.ts';
import { fdCount, shimPids } from './shim-observe.ts';
import { waitFor } from './wait.ts';

const imageName = (example: string) => `localhost/wasmbpf-conformance/${example}:test`;

export class CtrPath implements ExamplePath {
  readonly name = 'ctr run';
  #containerd: Containerd | undefined;
  #dir: string | undefined;
  #runs = 0;

  get #ctd(): Containerd {
    return this.#containerd ?? assert.fail('prepare() has not started containerd');
  }

  async prepare(rows: readonly ExampleRow[]): Promise<void> {
    this.#dir = mkdtempSync('/tmp/wbconform-');
    // The node allows what the rows load beyond its default policy (pktcount's xdp and tc).
    const programTypes = new Set([...DEFAULT_NODE_POLICY.programTypes ?? [], ...rows.flatMap((r) => r.programTypes ?? [])]);
    this.#containerd = await Containerd.start({
      shimConfig: `[shim]\nidle-timeout = "0s"\n[policy]\nallowed-program-types = ${JSON.stringify([...programTypes])}\n`,
    });
    const examples = [...new Set(rows.map((r) => r.example))];
    for (const example of examples) await this.#ctd.ctrOk(['images', 'import', buildExampleImage(example, imageName(example), this.#dir)]);
    // One run first, so containerd's lazily opened fds (snapshotter, content) are in every
    // baseline: an option no tool knows, so it prints its usage and ends at once.
    const warm = await this.#ctd.ctr(this.#runArgs(examples[0]!, 'conform-warm', ['--no-such-option']));
    assert.match(warm.stderr, /Usage: /);
    await waitFor('the warm-up run\'s shim to exit', () => shimPids(this.#ctd.socket).length === 0 || undefined);
  }

  #runArgs(example: string, id: string, args: string[]): string[] {
    return ['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', this.#ctd.fifoDir, imageName(example), id, example, ...args];
  }

  async start(row: ExampleRow): Promise<ExampleRun> {
    const ctd = this.#ctd;
    const containerdFds = fdCount(ctd.pid);
    const id = `conform-${row.example}-${++this.#runs}`;
    const child = ctd.spawnCtr(this.#runArgs(row.example, id, row.args));
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    let ended = false;
    const exited = new Promise<number>((resolve) => child.on('close', (code) => {
      ended = true;
      resolve(code ?? -1);
    }));
    return {
      stdout: () => stdout,
      stderr: () => stderr,
      get ended() { return ended; },
      async bpfHolder() {
        const [server, ...more] = shimPids(ctd.socket);
        assert.ok(server !== undefined && more.length === 0, `one shim server runs the task (${[server, ...more].join(', ')})`);
        return server;
      },
      heldBefore: NO_BPF_IDS,
      async interrupt() {
        await ctd.ctrOk(['task', 'kill', '-s', 'SIGINT', id]);
        return exited; // ctr run exits with the task's status
      },
      async assertNothingLeft() {
        await waitFor('the shim server to exit', () => shimPids(ctd.socket).length === 0 || undefined);
        assert.ok(!(await ctd.ctrOk(['task', 'ls', '-q'])).split('\n').includes(id), 'the task is deleted');
        assert.ok(!(await ctd.ctrOk(['containers', 'ls', '-q'])).split('\n').includes(id), 'the container is deleted (--rm)');
        await waitFor('containerd\'s fds back at their baseline', () => fdCount(ctd.pid) <= containerdFds || undefined, 10_000).catch(() => {
          assert.equal(fdCount(ctd.pid), containerdFds, 'containerd\'s fds');
        });
      },
      async kill() {
        if (ended) return;
        await ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id], { timeoutMs: 10_000 });
        await exited;
      },
    };
  }

  async close(): Promise<void> {
    await this.#containerd?.stop();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
