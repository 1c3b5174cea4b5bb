// A record on disk of the tc filters a module attached through netlink (kernels without tcx, see
// tcx.ts): such a filter is owned by no process, so when the process that attached it is killed
// with SIGKILL nothing detaches it. The shim gives each task a journal directory in its bundle;
// containerd runs the shim's `delete` after a server died, and that removes what the journal
// still lists (runtime/bpf/tc-journal-cleanup.ts). One file per filter, written before the attach returns to the
// guest and removed at its detach; the program id is kept so that a cleanup never removes a
// filter that is not ours any more (an interface and filter made anew since).
import fs from 'node:fs';
import path from 'node:path';
import type { TcFilter } from './tc-filter.ts';

export interface JournalEntry extends TcFilter {
  progId: number;
}

/** Set once per worker (a worker runs one module), from WorkerInit.tcJournal. */
let dir: string | undefined;

export function setTcJournal(directory: string | undefined): void {
  dir = directory;
}

function fileName(f: TcFilter): string {
  return `${f.ifindex}-${f.attachPoint}-${f.handle}-${f.priority}`;
}

/** Records an attached filter; returns how to erase the record (a no-op without a journal). */
export function journalTcFilter(filter: TcFilter, progId: number): () => void {
  if (!dir) return () => {};
  const file = path.join(dir, fileName(filter));
  fs.mkdirSync(dir, { recursive: true });
  const entry: JournalEntry = { ...filter, progId };
  fs.writeFileSync(file, `${JSON.stringify(entry)}\n`);
  return () => fs.rmSync(file, { force: true });
}

/** The filters a journal still lists (after a crash). */
export function readTcJournal(directory: string): JournalEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return [];
  }
  const entries: JournalEntry[] = [];
  for (const name of names) {
    try {
      entries.push(JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8')) as JournalEntry);
    } catch {
      // half-written by a process killed mid-write: the filter was not attached yet
    }
  }
  return entries;
}
