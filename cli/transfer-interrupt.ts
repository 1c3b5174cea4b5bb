// Ctrl-C (or SIGTERM) during `wasmbpf pull` or `push`: the transfer is aborted, so the blob in
// flight is discarded rather than left half-written, and the command says so and exits 130, as a
// shell reports a command ended by SIGINT.

export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Runs `transfer` with a signal that SIGINT and SIGTERM abort with a TransferInterruptedError
 * saying `interrupted`. Resolves to its result, or to undefined once it was interrupted and
 * that was reported on stderr as `wasmbpf COMMAND: ...`.
 */
export async function interruptibleTransfer<T>(command: string, interrupted: string, transfer: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const { TransferInterruptedError } = await import('../image/errors.ts');
  const stop = new AbortController();
  const onSignal = () => stop.abort(new TransferInterruptedError(interrupted));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await transfer(stop.signal);
  } catch (err) {
    if (!(err instanceof TransferInterruptedError)) throw err;
    process.stderr.write(`wasmbpf ${command}: ${err.message}\n`);
    return undefined;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
