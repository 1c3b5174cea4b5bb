// A private containerd for integration tests: Debian's containerd (with runc) on its own root,
// state, sockets and config in a temp dir, with this checkout's bin/ first on its PATH so
// `--runtime io.containerd.wasmbpf.v1` finds bin/containerd-shim-wasmbpf-v1 (no `wasmbpf
// install` needed). The CRI plugin is off unless `cri` is given.
//
//   const ctd = await Containerd.startFor(t);      // start(), and stop() when the test ends;
//                                                  // or startFor(t, { cri: { cniConfDir } })
//   const { stdout } = await ctd.ctr(['images', 'import', tarball]);
//   ctd.socket, ctd.namespace, ctd.dir, ctd.log()
//
// stop() is the cleanup: it kills and deletes every task and container of the namespace (so
// their shims exit), stops containerd, unmounts what is left under its root and removes the dir.
// Shims are run from sources (WASMBPF_DEV=1), so a stale dist/ never hides a change.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUNTIME_TYPE, streamProcessorToml } from '../../shim/containerd-config.ts';
import { shimPids } from './shim-observe.ts';
import type { Cleanup } from './cleanup.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WASMBPF_RUNTIME = RUNTIME_TYPE;

export interface ContainerdOptions {
  /** Namespace ctr() uses. Default: a unique one per process. */
  namespace?: string;
  /** Turn the CRI plugin on, with the CNI config in cniConfDir (plugins from Debian's containernetworking-plugins). */
  cri?: { cniConfDir: string; cniBinDir?: string; extraToml?: string };
  /** Extra lines appended to config.toml. */
  extraToml?: string;
  /** Add the stream processor that lets containerd 1.6 unpack artifact images (default true). */
  streamProcessor?: boolean;
  /** Run shims from sources (WASMBPF_DEV=1, default true); false lets bin/ take a fresh dist/ (the benchmark). */
  dev?: boolean;
  /**
   * The shim's node config (TOML: [shim], [policy], [limits]), given to it through
   * WASMBPF_SHIM_CONFIG. Default: the node server exits as soon as it may once its last task is
   * deleted (idle-timeout "0s"), so a test sees its shims gone without waiting a minute.
   */
  shimConfig?: string;
  /** Extra environment for containerd, and so for its shims (e.g. WASMBPF_TC_ATTACH=netlink). */
  env?: Record<string, string>;
}

export interface CtrResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Containerd {
  readonly dir: string;
  readonly socket: string;
  readonly namespace: string;
  readonly root: string;
  readonly state: string;
  #proc: ChildProcess;
  readonly #logFile: string;
  #stopped: Promise<void> | undefined;
  #dev = true;
  #env: Record<string, string> = {};

  private constructor(dir: string, namespace: string, proc: ChildProcess) {
    this.dir = dir;
    this.socket = join(dir, 'c.sock');
    this.root = join(dir, 'root');
    this.state = join(dir, 'state');
    this.namespace = namespace;
    this.#proc = proc;
    this.#logFile = join(dir, 'containerd.log');
  }

  static async start(options: ContainerdOptions = {}): Promise<Containerd> {
    // /tmp and a short prefix: socket paths (and the shim's, derived from them) stay short.
    const dir = mkdtempSync('/tmp/wbctd-');
    const namespace = options.namespace ?? `wbtest-${process.pid}`;
    const lines = [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      ...(options.cri ? [] : ['disabled_plugins = ["io.containerd.grpc.v1.cri"]']),
      '[grpc]',
      `  address = "${join(dir, 'c.sock')}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(dir, 'opt')}"`,
    ];
    if (options.cri) {
      lines.push(
        '[plugins."io.containerd.grpc.v1.cri".cni]',
        `  bin_dir = "${options.cri.cniBinDir ?? '/usr/lib/cni'}"`,
        `  conf_dir = "${options.cri.cniConfDir}"`,
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmbpf]',
        `  runtime_type = "${WASMBPF_RUNTIME}"`,
        options.cri.extraToml ?? '',
      );
    }
    if (options.streamProcessor ?? true) lines.push(streamProcessorToml());
    if (options.extraToml) lines.push(options.extraToml);
    writeFileSync(join(dir, 'config.toml'), `${lines.join('\n')}\n`);
    mkdirSync(join(dir, 'fifo'));
    writeFileSync(join(dir, 'shim.toml'), options.shimConfig ?? '[shim]\nidle-timeout = "0s"\n');
    const dev = options.dev ?? true;
    const ctd = new Containerd(dir, namespace, spawnContainerd(dir, 'w', dev, options.env ?? {}));
    ctd.#dev = dev;
    ctd.#env = options.env ?? {};
    await ctd.#waitReady(join(dir, 'containerd.log'));
    return ctd;
  }

  /** start(), with stop() as the test's cleanup. */
  static async startFor(t: Cleanup, options: ContainerdOptions = {}): Promise<Containerd> {
    const ctd = await Containerd.start(options);
    t.after(() => ctd.stop());
    return ctd;
  }

  /** Stops containerd alone (its shims and tasks keep running) and starts it again on the same state. */
  async restart(): Promise<void> {
    const exited = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.kill('SIGTERM');
    await exited;
    this.#proc = spawnContainerd(this.dir, 'a', this.#dev, this.#env);
    await this.#waitReady(this.#logFile);
  }

  /** containerd's pid (to watch its fds). */
  get pid(): number {
    return this.#proc.pid!;
  }

  /** Where `ctr run --fifo-dir` should put the task FIFOs (inside this instance's dir). */
  get fifoDir(): string {
    return join(this.dir, 'fifo');
  }

  /** containerd's log (its own lines and the shims' log pipes). */
  log(): string {
    try {
      return readFileSync(this.#logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Runs ctr against this containerd and namespace; never throws for a non-zero exit. */
  ctr(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CtrResult> {
    return new Promise((resolvePromise) => {
      const child = execFile('ctr', ['--address', this.socket, '--namespace', this.namespace, ...args], {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 << 20,
      }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /** Starts ctr against this containerd and namespace, for a command whose output is read as it comes (`ctr run` of a tool). */
  spawnCtr(args: string[]): ChildProcess {
    return spawn('ctr', ['--address', this.socket, '--namespace', this.namespace, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Like ctr() but throws with ctr's stderr when it fails. */
  async ctrOk(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
    const result = await this.ctr(args, options);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Idempotent cleanup: tasks, containers, containerd, mounts, the temp dir. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#proc.exitCode === null) {
        const { stdout } = await this.ctr(['containers', 'ls', '-q']);
        for (const id of stdout.split('\n').filter(Boolean)) {
          await this.ctr(['task', 'kill', '-s', 'SIGKILL', id], { timeoutMs: 10_000 });
          await this.ctr(['task', 'delete', '-f', id], { timeoutMs: 20_000 });
          await this.ctr(['containers', 'delete', id], { timeoutMs: 10_000 });
        }
        const exited = new Promise<void>((r) => this.#proc.once('exit', () => r()));
        this.#proc.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000).then(() => this.#proc.kill('SIGKILL'))]);
      }
      // A node-grouped server waits for the next task (its idle timeout) after the last is
      // deleted: end it with this instance, as containerd's own shutdown would not.
      await stopShimServers(this.socket);
      unmountUnder(this.dir);
      removeNamespaceCgroups(this.namespace);
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #waitReady(log: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { code } = await this.ctr(['version'], { timeoutMs: 2000 });
      if (code === 0) return;
      if (Date.now() > deadline || this.#proc.exitCode !== null) {
        const text = this.log();
        await this.stop();
        throw new Error(`containerd did not start (log ${log}):\n${text}`);
      }
      await sleep(50);
    }
  }
}

function spawnContainerd(dir: string, logMode: 'w' | 'a', dev: boolean, extraEnv: Record<string, string>): ChildProcess {
  // containerd logs to stderr; the file is opened here so it outlives a crashed test process
  const logFd = openSync(join(dir, 'containerd.log'), logMode);
  const proc = spawn('containerd', ['--config', join(dir, 'config.toml'), '--log-level', 'debug'], {
    cwd: dir,
    stdio: ['ignore', logFd, logFd],
    // The shim reads this instance's node config, never the machine's /etc/wasmbpf/shim.toml:
    // tests do not depend on what is installed.
    env: devEnv({ ...process.env, ...extraEnv, PATH: `${join(REPO_ROOT, 'bin')}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, WASMBPF_SHIM_CONFIG: join(dir, 'shim.toml') }, dev),
  });
  closeSync(logFd);
  return proc;
}

function devEnv(env: NodeJS.ProcessEnv, dev: boolean): NodeJS.ProcessEnv {
  if (dev) env.WASMBPF_DEV = '1';
  else delete env.WASMBPF_DEV;
  return env;
}

/** Ends the wasmbpf shim servers of the containerd at this socket: SIGTERM (a clean exit: it ends its modules and closes their eBPF objects), then SIGKILL after 5 s. */
export async function stopShimServers(socket: string): Promise<void> {
  const pids = shimPids(socket);
  const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Removes the empty /<namespace> cgroups that runc and the shim leave as parents of task cgroups. */
export function removeNamespaceCgroups(namespace: string): void {
  const root = '/sys/fs/cgroup';
  const dirs = existsSync(join(root, 'cgroup.controllers')) ? [root] : readdirSync(root).map((d) => join(root, d));
  for (const dir of dirs) {
    try {
      rmdirSync(join(dir, namespace));
    } catch {
      // absent, or still in use by something that is not ours
    }
  }
}

/** Unmounts every mount point below dir, deepest first (leftovers of a crashed shim or test). */
export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) spawnSync('umount', ['-l', point]);
}
