// A full disk (or quota) while writing the store or a tarball: one error that says so and
// where, instead of a bare "ENOSPC: no space left on device, write". The writer has already
// removed its temp file (atomic-file.ts), so nothing partial is kept; the message says that too.
import { dirname } from 'node:path';
import { WasmbpfError } from '../errors/index.ts';

export class NoSpaceError extends WasmbpfError {
  readonly code = 'WASMBPF_NO_SPACE';
  constructor(readonly path: string, readonly errno: 'ENOSPC' | 'EDQUOT', options?: ErrorOptions) {
    super(`no space left to write ${path} (${errno === 'EDQUOT' ? 'disk quota exceeded' : 'the disk is full'}, ${errno}); ` +
      `nothing partial was kept. Free space under ${dirname(path)}, or set WASMBPF_HOME to a directory on another disk`, options);
  }
}

/** err as a NoSpaceError when it is ENOSPC/EDQUOT, else err unchanged. */
export function diskFull(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? new NoSpaceError(path, code, { cause: err }) : err;
}
