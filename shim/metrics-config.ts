// The node file's [metrics] table: where each shim server serves Prometheus metrics. Off unless
// an address is given.
//
//   [metrics]
//   address = "127.0.0.1:9464"            # host:port of GET /metrics; a server that finds the
//                                         #   port taken (another server of this node: one per
//                                         #   pod) takes a free port on the same host instead
//   discovery-dir = "/run/wasmbpf/metrics" # where each server lists its address for Prometheus'
//                                         #   file_sd_configs (default; "" for none)
//   kernel-stats = false                  # true: the kernel counts the tasks' eBPF program runs
//                                         #   and run time while they run (BPF_ENABLE_STATS);
//                                         #   system-wide, it slows every bpf() call on the node
//
// Read by `start` (node-config.ts's rules: unknown keys refused), which passes it to the server
// it spawns as flags.
import { invalidArgument } from './errors.ts';
import { readNodeConfig } from '../container/node-config.ts';

export const DEFAULT_DISCOVERY_DIR = '/run/wasmbpf/metrics';

export interface MetricsSettings {
  /** host:port; undefined: no endpoint. */
  address?: string;
  /** '' for none. */
  discoveryDir: string;
  /** Turn on the kernel's BPF run-time stats while tasks run (program runs and run time). */
  kernelStats: boolean;
}

/** "127.0.0.1:9464" or "[::1]:9464" -> host and port (0 allowed: any free port). */
export function parseListenAddress(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalidArgument(`${what}: '${text}' is not host:port (e.g. "127.0.0.1:9464")`);
  return { host: (m[1] ?? m[2])!, port };
}

export function readMetricsSettings(file: string | undefined): MetricsSettings {
  const settings: MetricsSettings = { discoveryDir: DEFAULT_DISCOVERY_DIR, kernelStats: false };
  if (!file) return settings;
  const table = readNodeConfig(file).metrics;
  if (table === undefined) return settings;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw invalidArgument(`${file}: [metrics] must be a table`);
  for (const [key, value] of Object.entries(table)) {
    switch (key) {
      case 'address':
        if (typeof value !== 'string') throw invalidArgument(`${file}: metrics.address must be a string such as "127.0.0.1:9464"`);
        parseListenAddress(value, `${file}: metrics.address`);
        settings.address = value;
        break;
      case 'discovery-dir':
        if (typeof value !== 'string') throw invalidArgument(`${file}: metrics.discovery-dir must be a directory path or ""`);
        settings.discoveryDir = value;
        break;
      case 'kernel-stats':
        if (typeof value !== 'boolean') throw invalidArgument(`${file}: metrics.kernel-stats must be true or false`);
        settings.kernelStats = value;
        break;
      default:
        throw invalidArgument(`${file}: unknown key metrics.${key} (known: address, discovery-dir, kernel-stats)`);
    }
  }
  return settings;
}
