// The guest-facing eBPF ABI (docs/abi.md): the `wasm_bpf` imports (byte-compatible with
// wasm-bpf, abi/wasm-bpf.ts), the `callback-wrapper` poll TinyGo guests use
// (abi/callback-wrapper.ts) and our `wasmbpf_v1` extensions (abi/wasmbpf-v1.ts), over the host
// services of one module (services/: its objects, map operations, buffer polling, raw sockets).
//
// Each import validates everything the guest passes (pointers, lengths, handles, fds) and turns
// every failure into a negative errno plus a message on the module's stderr; nothing a guest
// passes can crash the host or reach an fd it does not own. Guest traps inside a record callback
// propagate out of the import and end the instance.
import type { LogRunner } from '../bpf/bpf-object.ts';
import { koffi, lib } from '../bpf/libbpf.ts';
import type { ResourceLedger } from '../bpf/resource-ledger.ts';
import { hostCallSlot, newStatsBuffer, StatsRecorder } from '../module-stats.ts';
import type { ObjectSelector } from '../object-selector.ts';
import type { EbpfPolicy } from '../policy.ts';
import { callbackWrapperImports } from './abi/callback-wrapper.ts';
import type { GuestExports, ImportContext } from './abi/import-context.ts';
import { ImportErrors } from './abi/import-errors.ts';
import { wasmBpfImports } from './abi/wasm-bpf.ts';
import { wasmbpfV1Imports } from './abi/wasmbpf-v1.ts';
import { GuestFdTable } from './services/guest-fd-table.ts';
import { GuestFault, GuestMemory, setAddressResolver } from './guest-memory.ts';
import { BufferPolling, type GuestRecordCallback } from './services/buffer-polling.ts';
import { MapOperations } from './services/map-operations.ts';
import { ObjectTable } from './services/object-table.ts';
import { RawSockets } from './services/raw-sockets.ts';
import type { StopSignal } from './stop-signal.ts';

// The guest memory's native address comes from koffi; guest-memory.ts stays free of the FFI.
setAddressResolver((buffer) => koffi.address(buffer));

export interface HostDeps {
  stderrFd: number;
  runLogged: LogRunner;
  ledger: ResourceLedger;
  stop: StopSignal;
  selector: ObjectSelector;
  policy: EbpfPolicy;
  /** Start-up milestones, each time one is reached (the worker reports the first of each). */
  onMilestone?: (milestone: 'bpf-loaded' | 'attached') => void;
  /** The guest's linear memory size, at bind and whenever the host sees it grown. */
  onMemorySize?: (bytes: number) => void;
  /** The module's counters (module-stats.ts); without it they are kept in a buffer nobody reads. */
  stats?: StatsRecorder;
}

type ImportFn = (a?: never, b?: never, c?: never, d?: never, e?: never, f?: never, g?: never) => unknown;

export class WasmBpfHost {
  private guest: GuestExports | undefined;
  private memory: GuestMemory | undefined;
  private readonly stats: StatsRecorder;
  private readonly objects: ObjectTable;
  private readonly sockets: RawSockets;
  private readonly context: ImportContext;

  constructor(private readonly deps: HostDeps) {
    this.stats = deps.stats ?? new StatsRecorder(newStatsBuffer(), () => undefined);
    const fds = new GuestFdTable();
    const errors = new ImportErrors(deps.stderrFd);
    const possibleCpus = lib.num_possible_cpus() as number;
    this.objects = new ObjectTable({
      runLogged: deps.runLogged, ledger: deps.ledger, selector: deps.selector, policy: deps.policy, stats: this.stats, fds,
      onLoaded: () => deps.onMilestone?.('bpf-loaded'),
    });
    this.sockets = new RawSockets(fds, deps.ledger);
    const memory = () => this.mem();
    this.context = {
      memory,
      guest: () => this.guest,
      errors,
      objects: this.objects,
      maps: new MapOperations(fds, memory, possibleCpus),
      polling: new BufferPolling(deps.stop, this.stats, (text) => errors.warn(text)),
      sockets: this.sockets,
      fds,
      policy: deps.policy,
      possibleCpus,
      onAttached: () => deps.onMilestone?.('attached'),
    };
  }

  /** After instantiation: the guest's memory, function table and go-callback export. */
  bind(instance: WebAssembly.Instance): void {
    const e = instance.exports;
    this.guest = {
      table: e.__indirect_function_table as WebAssembly.Table | undefined,
      goCallback: e['go-callback'] as GuestRecordCallback | undefined,
    };
    this.memory = new GuestMemory(e.memory as WebAssembly.Memory, this.deps.onMemorySize);
  }

  /** The three import modules, each call counted (module-stats.ts) and looking at the stop signal first. */
  imports(): WebAssembly.Imports {
    const modules: Record<string, Record<string, (...a: never[]) => unknown>> = {
      wasm_bpf: wasmBpfImports(this.context),
      'callback-wrapper': callbackWrapperImports(this.context),
      wasmbpf_v1: wasmbpfV1Imports(this.context),
    };
    const stop = this.deps.stop;
    const counts = this.stats.counts;
    const out: WebAssembly.Imports = {};
    for (const [mod, fns] of Object.entries(modules)) {
      const wrapped: Record<string, ImportFn> = {};
      for (const [name, fn] of Object.entries(fns as Record<string, ImportFn>)) {
        const slot = hostCallSlot(name);
        // Fixed parameters, not (...args) => fn(...args): no arguments array per call on the
        // hot imports (no import takes more than seven). The call count is one typed-array add.
        wrapped[name] = (a, b, c, d, e, f, g) => {
          counts[slot]++;
          stop.check();
          return fn(a, b, c, d, e, f, g);
        };
      }
      out[mod] = wrapped;
    }
    return out;
  }

  /** Closes every object (and its links and buffers) and socket the guest left open. Idempotent. */
  close(): void {
    this.objects.closeAll();
    this.sockets.closeAll();
  }

  private mem(): GuestMemory {
    if (!this.memory) throw new GuestFault('the module exports no memory');
    return this.memory;
  }
}
