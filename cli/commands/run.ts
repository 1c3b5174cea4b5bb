// `wasmbpf run`: runs a module in the foreground. The module's exit code is the process's;
// SIGINT/SIGTERM stop it the way a native libbpf tool stops (its poll returns -EINTR, it cleans
// up and exits); a second Ctrl-C (cli/interrupts.ts), or the grace period running out, ends it.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseArchOption } from '../arch-option.ts';
import { bareModule, type Runnable } from '../../image/runnable.ts';
import { isWasmFile } from '../../image/wasm-file.ts';
// The runtime itself (startModule) is imported in run(): without libbpf its import fails, and
// there the failure is an error that names libbpf, not a stack trace.
import {
  capPolicy, DEFAULT_MEMORY_LIMIT, MemoryLimitError, narrowest, parseSize, POLICY_ANNOTATIONS, policyFromAnnotations, policyFromConfig,
  type EbpfPolicy, type ModulePhase, type ModuleSpec,
} from '../../runtime/index.ts';
import { UsageError, type Command } from '../command.ts';
import { WasmbpfError } from '../../errors/index.ts';
import { interruptHandler } from '../interrupts.ts';
import { parseStatsInterval, startStatsReport } from '../stats-report.ts';

const HELP = `Usage: wasmbpf run [OPTIONS] MODULE.wasm|IMAGE.tar|REF [ARGS...]

Runs a Wasm-bpf module: a bare .wasm file, an OCI image tarball, or an image reference (pulled
when it is not in the local store). ARGS go to the module, after the image's own command line
(its Entrypoint and Cmd). The exit code is the module's.
Ctrl-C or SIGTERM stops it cleanly; a second Ctrl-C (half a second or more after the first)
ends it at once.

Options:
  -e, --env KEY=VALUE      set an environment variable for the module (repeatable)
      --dir GUEST=HOST     let the module open files under HOST as GUEST (repeatable)
      --arch ARCH          pick eBPF objects for ARCH instead of this machine's
      --grace-period MS    how long a stop waits for the module to end (default 3000)
      --insecure           allow plain HTTP to a registry when pulling REF
      --verify-key FILE    run REF only if signed with this public key (PEM, cosign.pub;
                           repeatable: any of them); REF is then always pulled and the
                           digest the registry serves is the one checked and run
      --allow-program-types LIST   eBPF policy: program types the module may load
                                   (tracepoint,kprobe,uprobe,tp_btf,xdp,tc,socket,...)
      --allow-attach-targets LIST  eBPF policy: attach targets, globs allowed
                                   (tracepoint:sched/*,interface:lo,cgroup:/sys/fs/cgroup/x,...)
      --allow-map-types LIST       eBPF policy: map types it may create (hash,array,ringbuf,...)
      --policy FILE                eBPF policy from a TOML file with a [policy] table (the node's
                                   /etc/wasmbpf/shim.toml format: allowed-program-types = [...],
                                   allowed-attach-targets = [...], allowed-map-types = [...]);
                                   --allow-* flags can only narrow it
      --memory-limit SIZE          cap on the module's linear memory (e.g. 64Mi, 1Gi); can only
                                   narrow the default of 256Mi, or the file's [limits]
                                   memory-limit with --policy; past it malloc returns NULL
      --stats              print on stderr, when the module exits, what it did and cost: records
                           delivered and lost per buffer, host calls, its eBPF programs (verified
                           instructions) and maps (memory); WASMBPF_STATS=1 does the same
      --stats-interval DUR also print it every DUR while it runs (e.g. 5s, 500ms)
      --kernel-stats       also have the kernel count each program's runs and run time while the
                           module runs (BPF_ENABLE_STATS: system-wide, it slows every bpf() call
                           on the machine a little); implies --stats; WASMBPF_STATS=kernel
      --debug              print where start-up time goes on stderr: ms since the process
                           started at each phase (imports, runtime, image, worker, compile,
                           instantiate, eBPF load, attach)
  -h, --help               show this help
`;

/** The MODULE.wasm given to `run` cannot be read. */
class ModuleUnreadableError extends WasmbpfError {
  readonly code = 'WASMBPF_NO_MODULE';
}

async function resolveTarget(target: string, insecure: boolean, hostArch: ModuleSpec['hostArch'], verifyKeyFiles: string[] | undefined): Promise<Runnable> {
  const verifyKeys = verifyKeyFiles ? await (await import('../../image/signature/key-files.ts')).readVerificationKeys(verifyKeyFiles) : undefined;
  if (!verifyKeys && (target.endsWith('.wasm') || (fs.existsSync(target) && isWasmFile(target)))) {
    let wasm: Uint8Array;
    try {
      wasm = fs.readFileSync(target);
    } catch (err) {
      throw new ModuleUnreadableError(`cannot read module '${target}': ${(err as Error).message}`, { cause: err });
    }
    return bareModule(target, wasm);
  }
  const { resolveRunnable } = await import('../../image/resolve.ts');
  return resolveRunnable(target, { insecure, ...(hostArch ? { hostArch } : {}), ...(verifyKeys ? { verifyKeys } : {}) });
}

/** --policy FILE. The TOML parser is loaded only then: every other start skips it. */
async function readPolicyFile(file: string): Promise<{ policy: EbpfPolicy; memoryLimit?: number }> {
  const { parse: parseToml } = await import('smol-toml');
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--policy ${file}: ${(err as Error).message}`);
  }
  const limit = ((doc.limits ?? {}) as Record<string, unknown>)['memory-limit'];
  return {
    policy: policyFromConfig(doc, file),
    ...(limit === undefined ? {} : { memoryLimit: size(String(limit), `--policy ${file}: limits.memory-limit`) }),
  };
}

function size(text: string, what: string): number {
  try {
    return parseSize(text, what);
  } catch (err) {
    if (err instanceof MemoryLimitError) throw new UsageError(err.message);
    throw err;
  }
}


const OPTIONS = {
  env: { type: 'string', short: 'e', multiple: true },
  dir: { type: 'string', multiple: true },
  arch: { type: 'string' },
  'grace-period': { type: 'string' },
  insecure: { type: 'boolean' },
  'verify-key': { type: 'string', multiple: true },
  'allow-program-types': { type: 'string' },
  'allow-attach-targets': { type: 'string' },
  'allow-map-types': { type: 'string' },
  policy: { type: 'string' },
  'memory-limit': { type: 'string' },
  debug: { type: 'boolean' },
  stats: { type: 'boolean' },
  'stats-interval': { type: 'string' },
  'kernel-stats': { type: 'boolean' },
} as const;

/**
 * --debug: each start-up phase once, as ms since the process started (performance.timeOrigin),
 * on stderr, so anyone can see where start-up goes. Module phases come from the runtime with
 * wall-clock times (they happen on the module's thread).
 */
function phaseTracer(on: boolean): { mark(phase: string, atMs?: number): void } {
  const seen = new Set<string>();
  return {
    mark(phase, atMs = performance.timeOrigin + performance.now()) {
      if (!on || seen.has(phase)) return;
      seen.add(phase);
      process.stderr.write(`wasmbpf: start-up: ${phase} at ${(atMs - performance.timeOrigin).toFixed(1)} ms\n`);
    },
  };
}

/** Options end at the first positional: everything after the target belongs to the module. */
const VALUED = Object.entries(OPTIONS).flatMap(([name, o]) =>
  o.type === 'string' ? [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])] : []);

function firstPositional(argv: string[]): number {
  return argv.findIndex((a, i) => !a.startsWith('-') && !VALUED.includes(argv[i - 1] ?? ''));
}

const PHASE_NAMES: Record<ModulePhase, string> = {
  'worker-ready': 'worker thread ready (isolate, koffi, libbpf declarations)',
  compiled: 'module compiled',
  instantiated: 'module instantiated (WASI, wasm_bpf imports)',
  'bpf-loaded': 'first eBPF object loaded (verifier passed)',
  attached: 'first program attached',
};

const command: Command = {
  help: HELP,
  helpRequested(argv) {
    const end = firstPositional(argv);
    const own = end < 0 ? argv : argv.slice(0, end);
    return own.includes('--help') || own.includes('-h');
  },
  async run(argv) {
    const loadedAt = performance.timeOrigin + performance.now();
    const targetAt = firstPositional(argv);
    if (targetAt < 0) throw new UsageError('missing MODULE.wasm, IMAGE.tar or REF');
    const { values } = parseArgs({
      args: argv.slice(0, targetAt),
      options: OPTIONS,
      strict: true,
    });
    const target = argv[targetAt]!;
    const moduleArgs = argv.slice(targetAt + 1);
    const hostArch = values.arch === undefined ? undefined : parseArchOption(values.arch);
    const grace = values['grace-period'] === undefined ? 3000 : Number(values['grace-period']);
    if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace-period must be a number of milliseconds`);
    const preopens: Record<string, string> = {};
    for (const d of values.dir ?? []) {
      const [guest, host] = d.includes('=') ? d.split('=', 2) : [d, d];
      if (!guest || !host) throw new UsageError(`--dir takes GUEST=HOST, got '${d}'`);
      preopens[guest] = path.resolve(host);
    }
    for (const e of values.env ?? []) if (!e.includes('=')) throw new UsageError(`--env takes KEY=VALUE, got '${e}'`);

    const fromFlags = policyFromAnnotations({
      [POLICY_ANNOTATIONS.programTypes]: values['allow-program-types'],
      [POLICY_ANNOTATIONS.attachTargets]: values['allow-attach-targets'],
      [POLICY_ANNOTATIONS.mapTypes]: values['allow-map-types'],
    });
    const file = values.policy === undefined ? undefined : await readPolicyFile(values.policy);
    const policy = file ? capPolicy(fromFlags, file.policy) : fromFlags;
    const memoryLimit = narrowest(file?.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      values['memory-limit'] === undefined ? undefined : size(values['memory-limit'], '--memory-limit'))!;

    const statsInterval = parseStatsInterval(values['stats-interval']);
    const envStats = process.env.WASMBPF_STATS;
    const kernelStats = values['kernel-stats'] === true || envStats === 'kernel';
    const stats = kernelStats || values.stats === true || statsInterval !== undefined || envStats === '1';

    const trace = phaseTracer(values.debug ?? false);
    trace.mark('imports (node started, the CLI and this command loaded)', loadedAt);
    // The module's worker boots (~50 ms: an isolate, koffi, the libbpf declarations) while this
    // thread loads the runtime and reads the image (importing the runtime loads no FFI).
    const { ModuleWorker, loadModuleRunner } = await import('../../runtime/index.ts');
    const worker = new ModuleWorker();
    const startModule = await loadModuleRunner();
    trace.mark('runtime loaded (koffi, libbpf)');
    let resolved: Runnable;
    try {
      resolved = await resolveTarget(target, values.insecure ?? false, hostArch, values['verify-key']);
    } catch (error) {
      // End the worker, once it has loaded (ending it inside koffi's load would abort the process).
      await new Promise<void>((resolve) => worker.whenReady(() => void worker.thread.terminate().then(() => resolve())));
      throw error;
    }
    trace.mark('module and eBPF objects read');
    const running = startModule({
      wasm: resolved.wasm,
      args: [resolved.args[0]!, ...resolved.args.slice(1), ...moduleArgs],
      env: [...resolved.env, ...(values.env ?? [])],
      preopens,
      bpfObjects: resolved.bpfObjects,
      ...(hostArch ? { hostArch } : {}),
      gracePeriodMs: grace,
      policy,
      memoryLimit,
      kernelStats,
      ...(values.debug ? { onPhase: (phase, at) => trace.mark(PHASE_NAMES[phase], at) } : {}),
    }, worker);
    const onSigint = interruptHandler((signal) => running.stop(signal));
    const onSigterm = () => running.stop('SIGTERM');
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    try {
      const report = stats ? startStatsReport(running, statsInterval) : undefined;
      const status = await running.exited;
      report?.finish();
      return status.code;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    }
  },
};
export default command;
