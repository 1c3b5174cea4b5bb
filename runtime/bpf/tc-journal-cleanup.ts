// After the process that attached them died (a shim server killed -9): the tc filters a task's
// journal (tc-journal.ts) still lists are owned by no process and survived it. Each is removed if
// its interface still carries a filter at that handle and priority running the same program (an
// interface or filter made anew since is left alone), then the journal goes. The shim's `delete`
// calls this, and loads it only when there is a journal: libbpf is not loaded on the path of
// every `ctr task delete`.
import fs from 'node:fs';
import { koffi, lib, TcHook, TcOpts } from './libbpf.ts';
import { detachTcFilter } from './tc-filter.ts';
import { readTcJournal } from './tc-journal.ts';

/** Returns how many filters it removed. Never throws: a cleanup does what it can. */
export function removeJournaledTcFilters(dir: string): number {
  let removed = 0;
  for (const entry of readTcJournal(dir)) {
    try {
      const hook = { sz: koffi.sizeof(TcHook), ifindex: entry.ifindex, attach_point: entry.attachPoint, parent: 0 };
      const query = { sz: koffi.sizeof(TcOpts), prog_fd: 0, flags: 0, prog_id: 0, handle: entry.handle, priority: entry.priority };
      if ((lib.tc_query(hook, query) as number) !== 0 || query.prog_id !== entry.progId) continue;
      detachTcFilter(entry);
      removed++;
    } catch {
      // the interface is gone, or libbpf refused: nothing more to do for this one
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return removed;
}
