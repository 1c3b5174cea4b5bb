// The node's wasmbpf config file, /etc/wasmbpf/shim.toml (or the ConfigPath of the CRI runtime
// options), and its `[shim]` table: how Wasm tasks are grouped into server processes.
//
//   [shim]
//   grouping = "auto"        # "pod": a server per CRI pod, and per plain container;
//                            # "node": one server per containerd namespace for every Wasm task;
//                            # "auto" (default): "node" for plain containers (ctr, nerdctl),
//                            #   "pod" for CRI pods (each pod's tasks in its own process and cgroup)
//   idle-timeout = "60s"     # how long a node-grouped server waits, with no task left, for the
//                            #   next one before it exits ("0s": as soon as it may, 2 s after
//                            #   containerd's last connection closed)
//   spare-workers = 1        # module workers kept booted ahead of the next task (0: none)
//
// `start` reads this table (it decides which server a task joins, and starts it with its
// settings), and `start` is a process start on the path of every `ctr run`: so the TOML parser
// is loaded only when there is a file, and protobufjs's reader only when containerd sent runtime
// options (CRI), each on first use (~5 and ~10 ms). The [policy] and [limits] tables are read at
// Create (container/node-policy.ts), and the file itself by container/node-config.ts.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { readNodeConfig } from '../container/node-config.ts';
import { invalidArgument } from './errors.ts';
import type { Any } from './protos.ts';

const require = createRequire(import.meta.url);
const protobufReader = () => (require('protobufjs/minimal.js') as typeof import('protobufjs/minimal.js')).Reader;

/** The node's file; WASMBPF_SHIM_CONFIG in containerd's environment names another (tests, a second containerd). */
export const DEFAULT_NODE_CONFIG = process.env.WASMBPF_SHIM_CONFIG || '/etc/wasmbpf/shim.toml';

export type Grouping = 'auto' | 'pod' | 'node';

export interface ShimSettings {
  grouping: Grouping;
  /** ms a node-grouped server stays up with no task; 0 exits with the last task. */
  idleTimeoutMs: number;
  spareWorkers: number;
}

export const DEFAULT_SHIM_SETTINGS: ShimSettings = { grouping: 'auto', idleTimeoutMs: 60_000, spareWorkers: 1 };

/** containerd/pkg/runtimeoptions/v1 Options {1 type_url, 2 config_path}: its config_path. */
function configPathOf(options: Uint8Array): string | undefined {
  const reader = protobufReader().create(options);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === 2) return reader.string() || undefined;
    reader.skipType(tag & 7);
  }
  return undefined;
}

/**
 * The node config file: the runtime options' ConfigPath (CRI sends
 * `runtimeoptions.v1.Options`, without the type.googleapis.com/ prefix), else the default path
 * if it exists.
 */
export function nodeConfigPath(options: Any | null | undefined, fallback = DEFAULT_NODE_CONFIG): string | undefined {
  if (options?.type_url.endsWith('runtimeoptions.v1.Options')) {
    let configured: string | undefined;
    try {
      configured = configPathOf(options.value);
    } catch (error) {
      throw invalidArgument(`the runtime options (${options.type_url}) do not decode: ${(error as Error).message}`, error);
    }
    if (configured) return configured;
  }
  return fs.existsSync(fallback) ? fallback : undefined;
}

/** google.protobuf.Any {1 type_url, 2 value}, as containerd writes the runtime options on `start`'s stdin. */
export function decodeAny(bytes: Uint8Array): Any | undefined {
  const any: Any = { type_url: '', value: new Uint8Array() };
  try {
    const reader = protobufReader().create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === ((1 << 3) | 2)) any.type_url = reader.string();
      else if (tag === ((2 << 3) | 2)) any.value = reader.bytes();
      else reader.skipType(tag & 7);
    }
  } catch (error) {
    throw invalidArgument(`the runtime options on stdin do not decode: ${(error as Error).message}`, error);
  }
  return any.type_url ? any : undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "60s", "5m", "1h30m", "250ms" (Go's duration syntax, as containerd's config writes them) -> ms. */
export function parseDuration(text: string, what: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (text.trim() === '0') return 0;
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw invalidArgument(`${what}: '${text}' is not a duration (write e.g. "60s", "5m" or "0s")`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0));
}

/** The [shim] table; defaults for what it leaves out. Unknown keys are refused (a typo must not pass silently). */
export function readShimSettings(file: string | undefined): ShimSettings {
  if (!file) return { ...DEFAULT_SHIM_SETTINGS };
  const table = readNodeConfig(file).shim;
  if (table === undefined) return { ...DEFAULT_SHIM_SETTINGS };
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw invalidArgument(`${file}: [shim] must be a table`);
  const settings = { ...DEFAULT_SHIM_SETTINGS };
  for (const [key, value] of Object.entries(table)) {
    switch (key) {
      case 'grouping':
        if (value !== 'auto' && value !== 'pod' && value !== 'node') throw invalidArgument(`${file}: shim.grouping must be "auto", "pod" or "node", not ${JSON.stringify(value)}`);
        settings.grouping = value;
        break;
      case 'idle-timeout':
        if (typeof value !== 'string') throw invalidArgument(`${file}: shim.idle-timeout must be a duration string such as "60s"`);
        settings.idleTimeoutMs = parseDuration(value, `${file}: shim.idle-timeout`);
        break;
      case 'spare-workers':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 8) {
          throw invalidArgument(`${file}: shim.spare-workers must be a whole number from 0 to 8, not ${JSON.stringify(value)}`);
        }
        settings.spareWorkers = value;
        break;
      default:
        throw invalidArgument(`${file}: unknown key shim.${key} (known: grouping, idle-timeout, spare-workers)`);
    }
  }
  return settings;
}
