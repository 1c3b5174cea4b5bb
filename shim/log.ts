// The shim's log, in logrus' text format so containerd's log shows our lines like its own.
// The server writes to the bundle's `log` FIFO, which containerd reads and copies into its log;
// `start` and `delete` write to stderr (containerd logs a failed start's output). The FIFO is
// opened O_RDWR: opening it write-only would block the event loop until containerd's reader
// arrives, and a vanished reader then cannot turn every log write into EPIPE. It is also
// O_NONBLOCK: if containerd stops reading (restart, a removed bundle), a full pipe drops log
// lines (EAGAIN) instead of blocking the server's event loop and with it every task's RPCs.
import fs from 'node:fs';

export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  with(fields: Fields): Logger;
}

function quote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
}

export function format(level: string, msg: string, fields: Fields): string {
  let line = `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${key}=${quote(String(value))}`;
  }
  return `${line}\n`;
}

export function createLogger(write: (line: string, fields: Fields) => void, base: Fields = {}, debug = false): Logger {
  const emit = (level: string) => (msg: string, fields: Fields = {}) => {
    const all = { ...base, ...fields };
    write(format(level, msg, all), all);
  };
  return {
    debug: debug ? emit('debug') : () => {},
    info: emit('info'),
    warn: emit('warning'),
    error: emit('error'),
    with: (fields) => createLogger(write, { ...base, ...fields }, debug),
  };
}

/** Writes a line; write errors are swallowed (a log must never crash the shim). */
function writeLine(fd: number, line: string): void {
  try {
    fs.writeSync(fd, line);
  } catch {
    // the reader went away; nothing useful to do
  }
}

/**
 * A server's logs when it outlives the task it was started for (a node's server): containerd
 * copies a bundle's log FIFO into its own log only while that task exists. So a line about a task
 * (its `id` field) goes to that task's bundle log, and the server's own lines to the log of the
 * oldest task still there, else to the bundle it was started in.
 */
export class BundleLogs {
  readonly #startFd: number;
  readonly #tasks = new Map<string, number>();

  constructor(startFd: number) {
    this.#startFd = startFd;
  }

  /** At Create: the task's lines go to its bundle's log from now on. */
  open(id: string, bundle: string): void {
    if (this.#tasks.has(id)) return;
    const fd = openBundleLog(bundle);
    if (fd !== 2) this.#tasks.set(id, fd);
  }

  /** At Delete, when the bundle is about to go. */
  close(id: string): void {
    const fd = this.#tasks.get(id);
    if (fd === undefined) return;
    this.#tasks.delete(id);
    fs.closeSync(fd);
  }

  logger(base: Fields, debug: boolean): Logger {
    return createLogger((line, fields) => {
      const own = typeof fields.id === 'string' ? this.#tasks.get(fields.id) : undefined;
      writeLine(own ?? this.#tasks.values().next().value ?? this.#startFd, line);
    }, base, debug);
  }
}

/** Opens the bundle's log FIFO for the server; falls back to stderr when there is none. */
export function openBundleLog(bundle: string): number {
  try {
    return fs.openSync(`${bundle}/log`, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  } catch {
    return 2;
  }
}
