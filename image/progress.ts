// Transfer progress for people: one line per blob, redrawn in place, only when stderr is a
// terminal. In a pipe, a log or CI nothing is drawn; the command prints its summary instead.
import type { WriteStream } from 'node:tty';

export interface Progress {
  /** A blob transfer started (or was skipped: `skipped` with the reason). */
  begin(id: string, label: string, total: number): void;
  advance(id: string, done: number): void;
  end(id: string, status: string): void;
}

export const silentProgress: Progress = { begin() {}, advance() {}, end() {} };

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A progress display on `stream` when it is a TTY, else silentProgress. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  const tty = stream as WriteStream;
  const rows = new Map<string, { label: string; total: number; done: number; status?: string }>();
  let drawn = 0;
  let last = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (drawn > 0) tty.moveCursor(0, -drawn);
    for (const row of rows.values()) {
      const state = row.status ?? `${human(row.done)} / ${human(row.total)}`;
      tty.clearLine(0);
      tty.write(`${row.label}  ${state}\n`);
    }
    drawn = rows.size;
  };
  return {
    begin(id, label, total) {
      rows.set(id, { label, total, done: 0 });
      draw(true);
    },
    advance(id, done) {
      const row = rows.get(id);
      if (row) row.done = done;
      draw(false);
    },
    end(id, status) {
      const row = rows.get(id);
      if (row) row.status = status;
      draw(true);
    },
  };
}

export function shortDigest(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}
