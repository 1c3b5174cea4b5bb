// A wasm_bpf host in the test's own process, as one module's worker runs it, with libbpf's
// messages going to /dev/null: for tests that drive the imports directly or from a hand-made guest.
import fs from 'node:fs';
import { closeLogSink, installLibbpfLogRouter, LibbpfLogClient, openLogSink } from '../../runtime/bpf/libbpf-log.ts';
import { ResourceLedger } from '../../runtime/bpf/resource-ledger.ts';
import { ObjectSelector } from '../../runtime/object-selector.ts';
import type { EbpfPolicy } from '../../runtime/policy.ts';
import { StopSignal } from '../../runtime/wasm/stop-signal.ts';
import { WasmBpfHost } from '../../runtime/wasm/wasm-bpf-host.ts';

/** libbpf's log routed to /dev/null; open it once per test file, close it in after(). */
export class QuietLibbpfLog {
  readonly stderrFd = fs.openSync('/dev/null', 'w');
  private readonly sink = openLogSink(this.stderrFd);
  private readonly client = new LibbpfLogClient(installLibbpfLogRouter(), this.sink);

  /** A fresh host (its own ledger and stop word) under `policy`. */
  host(policy: EbpfPolicy = {}): { host: WasmBpfHost; ledger: ResourceLedger } {
    const ledger = new ResourceLedger();
    const host = new WasmBpfHost({
      stderrFd: this.stderrFd, runLogged: (fn) => this.client.run(fn), ledger, stop: new StopSignal(),
      selector: new ObjectSelector('x86_64'), policy,
    });
    return { host, ledger };
  }

  close(): void {
    closeLogSink(this.sink);
    fs.closeSync(this.stderrFd);
  }
}
