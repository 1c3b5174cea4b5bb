// The container figures of `npm run bench` (issue 7): `ctr run` of a wasmbpf image to its first
// event against `ctr run` (runc) of the same tool built native and static, the two images'
// sizes, and one wasmbpf shim's resident memory with 1, 10 and 50 modules loaded.
// (First version: returns no figure yet; filled in by the following commits.)
import type { Figure } from './figure.ts';

export interface ContainerBenchOptions {
  /** 1 run, 1 and 3 modules for memory: a smoke test. */
  quick: boolean;
  /** Runs per side for the start-up figures; the median is reported. */
  runs: number;
  /** Progress lines (the runner prints them on stderr). */
  log: (line: string) => void;
}

export async function containerFigures(opts: ContainerBenchOptions): Promise<Figure[]> {
  opts.log('containers: not measured yet');
  return [];
}
