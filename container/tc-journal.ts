// Where a Wasm task's module records the tc filters it attached through netlink (kernels
// without tcx; runtime/bpf/tc-journal.ts): a directory of the task's bundle. When the server
// dies, its modules' programs, links and maps die with it (they were its file descriptors), but
// a netlink tc filter is not a file descriptor: the shim's `delete` detaches what the journal
// lists. A file of its own, light on imports: `delete` is a process start on the path of every
// `ctr task delete`.
import fs from 'node:fs';
import path from 'node:path';

const TC_JOURNAL_DIR = 'wasmbpf-tc-filters';

export function tcJournalOf(bundle: string): string {
  return path.join(bundle, TC_JOURNAL_DIR);
}

/** Detaches the tc filters a dead task's journal lists; libbpf is loaded only when there is a journal, and without it the filters stay, as they would without a journal. */
export async function removeLeftoverTcFilters(bundle: string): Promise<void> {
  const journal = tcJournalOf(bundle);
  if (!fs.existsSync(journal)) return;
  try {
    await (await import('../runtime/index.ts')).removeJournaledTcFilters(journal);
  } catch {
    // libbpf cannot be loaded
  }
}
