// Loading libbpf.so.1, with an error that says what is missing and how to get it: a node
// without libbpf should learn that from `wasmbpf run` or from containerd's message, not from a
// dlopen stack trace. WASMBPF_LIBBPF names another file to load (a libbpf built elsewhere, or
// a path that does not exist, which is how the tests make libbpf missing).
import koffi, { type LibraryHandle } from 'koffi';
import { WasmbpfError } from '../../errors/index.ts';

export const LIBBPF_ENV = 'WASMBPF_LIBBPF';
export const LIBBPF_SONAME = 'libbpf.so.1';

export class LibbpfUnavailableError extends WasmbpfError {
  readonly code = 'WASMBPF_LIBBPF_MISSING';
  constructor(readonly library: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot load libbpf (${library}): ${why}. wasmbpf needs libbpf 1.x on this host: install it ` +
      '(Debian/Ubuntu: apt-get install libbpf1; Fedora/RHEL: dnf install libbpf; Alpine: apk add libbpf)' +
      `${process.env[LIBBPF_ENV] ? `, or fix ${LIBBPF_ENV}` : ''}`, { cause });
  }
}

export function loadLibbpf(): LibraryHandle {
  const library = process.env[LIBBPF_ENV] || LIBBPF_SONAME;
  try {
    return koffi.load(library);
  } catch (error) {
    throw new LibbpfUnavailableError(library, error);
  }
}
