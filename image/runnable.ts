// What `wasmbpf run` runs, whatever the user named: a module's bytes, its command line and
// environment, and the eBPF objects that may replace the ones it embeds.
import { basename } from 'node:path';
import type { BpfObjectCandidate } from '../runtime/index.ts';

export interface Runnable {
  name: string;
  wasm: Uint8Array;
  /** argv for the guest: the image's Entrypoint + Cmd (else its name), or the path of a bare module. */
  args: string[];
  /** KEY=VALUE from the image config. */
  env: string[];
  /** Every eBPF object the image carries, of every architecture. */
  bpfObjects: BpfObjectCandidate[];
}

/** A bare module runs as itself: argv[0] is the path it was given (as a shell passes a program's), and its objects are the ones it embeds. */
export function bareModule(path: string, wasm: Uint8Array): Runnable {
  return { name: basename(path).replace(/\.wasm$/, ''), wasm, args: [path], env: [], bpfObjects: [] };
}
