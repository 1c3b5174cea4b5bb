// The shim v2 command line as containerd 1.6 writes it (Go's flag package: `-name value`,
// `--name value`, `-name=value`, booleans bare), global flags first, then the action:
//   -namespace NS -address GRPC_SOCK -publish-binary BIN -id ID [-debug] start
//   -namespace NS -address GRPC_SOCK -publish-binary BIN -id ID -bundle DIR [-debug] delete
// `serve` is ours: the detached server that `start` spawns. TTRPC_ADDRESS comes from the env.
import { invalidArgument } from './errors.ts';

export type Action = 'start' | 'delete' | 'serve' | 'version';

export interface ShimFlags {
  action: Action;
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  debug: boolean;
  /** containerd's ttrpc socket for events (env TTRPC_ADDRESS). */
  ttrpcAddress: string;
  /** serve only: the socket to listen on and the fd to report readiness on. */
  socket: string;
  /** serve only: ms to stay up with no task left (0: exit with the last one), and warm workers to keep. */
  idleTimeoutMs: number;
  spareWorkers: number;
  /** serve only: "node" for a server every Wasm task of the namespace shares, else "pod". */
  grouping: string;
  /** serve only: [metrics] of the node file (metrics-config.ts); '' when off. */
  metricsAddress: string;
  metricsDiscovery: string;
  /** serve only: [metrics] kernel-stats (-metrics-kernel-stats true). */
  metricsKernelStats: boolean;
}

const STRING_FLAGS: Record<string, keyof ShimFlags> = {
  namespace: 'namespace',
  address: 'address',
  'publish-binary': 'publishBinary',
  id: 'id',
  bundle: 'bundle',
  socket: 'socket',
  grouping: 'grouping',
  'metrics-address': 'metricsAddress',
  'metrics-discovery': 'metricsDiscovery',
};
const NUMBER_FLAGS: Record<string, 'idleTimeoutMs' | 'spareWorkers'> = {
  'idle-timeout': 'idleTimeoutMs',
  'spare-workers': 'spareWorkers',
};

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ShimFlags {
  const flags: ShimFlags = {
    action: 'version',
    namespace: '',
    address: '',
    publishBinary: '',
    id: '',
    bundle: '',
    debug: false,
    ttrpcAddress: env.TTRPC_ADDRESS ?? '',
    socket: '',
    idleTimeoutMs: 0,
    spareWorkers: 0,
    grouping: 'pod',
    metricsAddress: '',
    metricsDiscovery: '',
    metricsKernelStats: false,
  };
  let action: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' ) {
      if (action) throw invalidArgument(`unexpected argument ${JSON.stringify(arg)} after action ${action}`);
      action = arg;
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === 'debug') {
      flags.debug = eq < 0 || body.slice(eq + 1) !== 'false';
      continue;
    }
    if (name === 'metrics-kernel-stats') {
      flags.metricsKernelStats = eq < 0 || body.slice(eq + 1) !== 'false';
      continue;
    }
    if (name === 'v' || name === 'version') {
      action ??= 'version';
      continue;
    }
    const key = STRING_FLAGS[name];
    const numberKey = NUMBER_FLAGS[name];
    if (!key && !numberKey) throw invalidArgument(`unknown flag -${name}`);
    const value = eq >= 0 ? body.slice(eq + 1) : argv[++i];
    if (value === undefined) throw invalidArgument(`flag -${name} needs a value`);
    if (numberKey) {
      if (!/^\d+$/.test(value)) throw invalidArgument(`flag -${name} takes a whole number, not ${JSON.stringify(value)}`);
      flags[numberKey] = Number(value);
    } else {
      (flags as unknown as Record<string, string>)[key!] = value;
    }
  }
  if (action !== undefined && !['start', 'delete', 'serve', 'version'].includes(action)) {
    throw invalidArgument(`unknown action ${JSON.stringify(action)} (expected start or delete)`);
  }
  flags.action = (action ?? 'version') as Action;
  if (flags.action !== 'version') {
    for (const required of ['namespace', 'id'] as const) {
      if (!flags[required]) throw invalidArgument(`missing -${required}`);
    }
  }
  return flags;
}
