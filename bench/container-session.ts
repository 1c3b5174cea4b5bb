// What the container benchmarks start, and its cleanup: a private containerd (the integration
// harness, with shims on the built JavaScript when dist/ is fresh), the ticker that makes the
// events, and the containers. stop() is the normal end; stopSync() runs from process 'exit'
// (the runner's Ctrl-C handler exits at once, so no await is possible there) and ends what is
// left by pid and by id only: tasks through ctr, then containerd, this containerd's shims, runc
// containers of this namespace, mounts, cgroups and the temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Containerd, removeNamespaceCgroups, unmountUnder } from '../test/helpers/containerd.ts';

const RUNC_ROOT = '/run/containerd/runc';

/** Pids of shim processes (wasmbpf or runc) started for the containerd at this socket. */
export function shimProcesses(socket: string): { pid: number; kind: 'wasmbpf' | 'runc' }[] {
  const out: { pid: number; kind: 'wasmbpf' | 'runc' }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.includes(socket)) continue;
      if (argv.some((a) => a.endsWith('shim/main.ts') || a.endsWith('shim/main.js'))) out.push({ pid: Number(entry), kind: 'wasmbpf' });
      else if (argv[0]?.endsWith('containerd-shim-runc-v2')) out.push({ pid: Number(entry), kind: 'runc' });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

export class ContainerSession {
  readonly ctd: Containerd;
  #ticker: ChildProcess | undefined;
  #stopped = false;
  readonly #onExit = () => this.stopSync();
  /** Ctrl-C or SIGTERM: clean up at once; exit unless someone else (the runner) handles the signal too. */
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.stopSync();
    if (!process.listeners(signal).some((l) => l !== this.#onSignal)) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };

  private constructor(ctd: Containerd) {
    this.ctd = ctd;
    process.once('exit', this.#onExit);
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  #unhook(): void {
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }

  static async start(namespace: string): Promise<ContainerSession> {
    // dev: false, so the shim runs what an installed one runs (dist/) when dist/ is fresh; an
    // empty node config, so it runs with the shipped defaults (a node server for plain
    // containers, 60 s idle timeout, one spare worker).
    return new ContainerSession(await Containerd.start({ namespace, dev: false, shimConfig: '' }));
  }

  /** Starts the ticker (once); it runs until stop(). */
  startTicker(ticker: string): void {
    if (this.#ticker) return;
    this.#ticker = spawn(ticker, [], { stdio: 'ignore' });
  }

  /** ctr's argv against this containerd and namespace. */
  ctrArgs(args: string[]): string[] {
    return ['--address', this.ctd.socket, '--namespace', this.ctd.namespace, ...args];
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#killTicker();
    await this.ctd.stop();
    // runc's state dir for the namespace stays behind, empty, once its containers are deleted.
    try {
      fs.rmdirSync(path.join(RUNC_ROOT, this.ctd.namespace));
    } catch {
      // absent, or not empty: a runc container still there (stopSync's runc delete is for that)
    }
    this.#stopped = true;
    this.#unhook();
  }

  #killTicker(): void {
    if (this.#ticker?.pid && this.#ticker.exitCode === null) this.#ticker.kill('SIGKILL');
  }

  stopSync(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unhook();
    this.#killTicker();
    const { socket, namespace, dir } = this.ctd;
    const ctr = (args: string[]) => spawnSync('ctr', this.ctrArgs(args), { encoding: 'utf8', timeout: 10_000 });
    const alive = this.ctd.pid !== undefined && fs.existsSync(`/proc/${this.ctd.pid}`);
    const ids = alive ? (ctr(['containers', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean) : [];
    for (const id of ids) {
      ctr(['task', 'delete', '-f', id]);
      ctr(['containers', 'delete', id]);
    }
    if (alive) {
      try {
        process.kill(this.ctd.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const shim of shimProcesses(socket)) {
      try {
        process.kill(shim.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // runc containers survive their shim: delete them through runc's state for this namespace.
    const runcRoot = path.join(RUNC_ROOT, namespace);
    if (fs.existsSync(runcRoot)) {
      for (const id of fs.readdirSync(runcRoot)) spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { timeout: 10_000 });
      fs.rmSync(runcRoot, { recursive: true, force: true });
    }
    unmountUnder(dir);
    for (const cg of ['/sys/fs/cgroup', ...(fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? [] : fs.readdirSync('/sys/fs/cgroup').map((d) => `/sys/fs/cgroup/${d}`))]) {
      const ns = path.join(cg, namespace);
      if (!fs.existsSync(ns)) continue;
      for (const sub of fs.readdirSync(ns, { withFileTypes: true })) if (sub.isDirectory()) spawnSync('rmdir', [path.join(ns, sub.name)]);
    }
    removeNamespaceCgroups(namespace);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
