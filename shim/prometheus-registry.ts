// The shim server's Prometheus metrics: each Wasm task's figures (runtime ModuleUsage and
// ModuleStats) with its labels (task-labels.ts), rebuilt at every scrape from what the tasks hold
// now, so a deleted task's series disappear. The exposition format is prom-client's; this file
// takes the loaded module as an argument (metrics-endpoint.ts imports it lazily, only on a server
// whose metrics are on), and imports only its types.
import type * as PromClient from 'prom-client';
import { TASK_LABEL_NAMES, type TaskLabels } from './task-labels.ts';
import { mapTypeName, type ModuleStats, type ModuleUsage } from '../runtime/index.ts';

/** What the registry reads from one task at a scrape. */
export interface TaskFigures {
  labels: TaskLabels;
  usage: ModuleUsage;
  /** Undefined before the module started. */
  stats: ModuleStats | undefined;
}

export class TaskMetricsRegistry {
  readonly registry: PromClient.Registry;
  readonly #tasks: PromClient.Gauge;
  readonly #cpu: PromClient.Counter;
  readonly #wasmMemory: PromClient.Gauge;
  readonly #heap: PromClient.Gauge;
  readonly #delivered: PromClient.Counter;
  readonly #lost: PromClient.Counter;
  readonly #hostCalls: PromClient.Counter;
  readonly #runs: PromClient.Counter;
  readonly #runTime: PromClient.Counter;
  readonly #verified: PromClient.Gauge;
  readonly #mapMemory: PromClient.Gauge;
  readonly #kernelStats: PromClient.Gauge;

  constructor(prom: typeof PromClient) {
    const registry = (this.registry = new prom.Registry());
    const labels = [...TASK_LABEL_NAMES];
    const counter = (name: string, help: string, extra: string[] = []) => new prom.Counter({ name, help, labelNames: [...labels, ...extra], registers: [registry] });
    const gauge = (name: string, help: string, extra: string[] = []) => new prom.Gauge({ name, help, labelNames: [...labels, ...extra], registers: [registry] });
    this.#tasks = new prom.Gauge({ name: 'wasmbpf_tasks', help: 'Wasm tasks this shim server holds', registers: [registry] });
    this.#cpu = counter('wasmbpf_task_cpu_seconds_total', "CPU time of the task's module thread (clock-tick resolution)", ['mode']);
    this.#wasmMemory = gauge('wasmbpf_task_wasm_memory_bytes', "The module's linear memory");
    this.#heap = gauge('wasmbpf_task_heap_used_bytes', "V8 heap in use by the task's worker thread");
    this.#delivered = counter('wasmbpf_buffer_records_delivered_total', "Records of a ring or perf buffer handed to the module's callback", ['map', 'kind']);
    this.#lost = counter('wasmbpf_buffer_records_lost_total', 'Records the kernel dropped because a perf buffer was full (ring buffers do not report drops)', ['map', 'kind']);
    this.#hostCalls = counter('wasmbpf_host_calls_total', 'eBPF host imports the module called, by kind', ['kind']);
    this.#runs = counter('wasmbpf_program_runs_total', "Runs of one of the task's eBPF programs (counted while kernel BPF stats are on)", ['program', 'program_id']);
    this.#runTime = counter('wasmbpf_program_run_time_seconds_total', "Time the kernel spent in one of the task's eBPF programs (counted while kernel BPF stats are on)", ['program', 'program_id']);
    this.#verified = gauge('wasmbpf_program_verified_instructions', 'Instructions the verifier processed to load the program', ['program', 'program_id']);
    this.#mapMemory = gauge('wasmbpf_map_memory_bytes', "Memory the kernel charges for one of the task's eBPF maps (fdinfo memlock)", ['map', 'map_id', 'map_type']);
    this.#kernelStats = gauge('wasmbpf_kernel_stats_enabled', "1 while the kernel counts the task's program runs and run time");
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Sets every series from the tasks' figures now; series of tasks no longer listed go. */
  update(tasks: TaskFigures[]): void {
    this.registry.resetMetrics();
    this.#tasks.set(tasks.length);
    for (const { labels, usage, stats } of tasks) {
      this.#cpu.inc({ ...labels, mode: 'user' }, usage.cpuUserNs / 1e9);
      this.#cpu.inc({ ...labels, mode: 'system' }, usage.cpuSystemNs / 1e9);
      this.#wasmMemory.set(labels, usage.wasmMemoryBytes);
      this.#heap.set(labels, usage.heapUsedBytes);
      if (!stats) continue;
      this.#kernelStats.set(labels, stats.kernelStats ? 1 : 0);
      for (const b of stats.buffers) {
        const l = { ...labels, map: b.map, kind: b.kind };
        this.#delivered.inc(l, b.delivered);
        if (b.lost !== undefined) this.#lost.inc(l, b.lost);
      }
      for (const [kind, n] of Object.entries(stats.hostCalls)) this.#hostCalls.inc({ ...labels, kind }, n);
      for (const p of stats.programs) {
        const l = { ...labels, program: p.name, program_id: String(p.id) };
        this.#runs.inc(l, p.runCount);
        this.#runTime.inc(l, p.runTimeNs / 1e9);
        this.#verified.set(l, p.verifiedInsns);
      }
      for (const m of stats.maps) this.#mapMemory.set({ ...labels, map: m.name, map_id: String(m.id), map_type: mapTypeName(m.type) ?? String(m.type) }, m.memoryBytes);
    }
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

}
