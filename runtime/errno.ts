// The two errno numberings the host deals in, and the one translation between them.
//
// The kernel, libbpf and libc speak Linux numbers (EINTR 4, ENOENT 2); host code that raises an
// errno of its own uses LINUX_ERRNO. Errors cross the ABI to the guest in the guest's own numbering:
// every guest is a WASI program (wasi-libc, Rust's and TinyGo's wasi targets), whose errno.h says
// EINTR is 27 and ENOENT is 44. Translating (guestErrno) is what makes `err == -EINTR` in guest
// code true when the host asks it to stop (wasm-bpf passes Linux numbers through, so such checks
// never match there and its tools exit with an error on Ctrl-C).
//
// A leaf module: both bpf/ (Linux numbers) and wasm/ (both) import it, and it imports nothing of
// the project.
import { constants } from 'node:os';

/** Linux errno values by name (node:os has the platform's, and the host runs on Linux only). */
export const LINUX_ERRNO = Object.freeze({
  ...constants.errno,
  /** The kernel's internal "not supported", which leaks out of some bpf() paths (not in errno.h). */
  ENOTSUPP: 524,
});

/** WASI preview1 errno values by name (the guest's errno.h; ENOTSUP and EOPNOTSUPP are one value). */
export const WASI_ERRNO = Object.freeze({
  ESUCCESS: 0,
  E2BIG: 1, EACCES: 2, EADDRINUSE: 3, EADDRNOTAVAIL: 4, EAFNOSUPPORT: 5, EAGAIN: 6, EALREADY: 7,
  EBADF: 8, EBADMSG: 9, EBUSY: 10, ECANCELED: 11, ECHILD: 12, ECONNABORTED: 13, ECONNREFUSED: 14,
  ECONNRESET: 15, EDEADLK: 16, EDESTADDRREQ: 17, EDOM: 18, EDQUOT: 19, EEXIST: 20, EFAULT: 21,
  EFBIG: 22, EHOSTUNREACH: 23, EIDRM: 24, EILSEQ: 25, EINPROGRESS: 26, EINTR: 27, EINVAL: 28,
  EIO: 29, EISCONN: 30, EISDIR: 31, ELOOP: 32, EMFILE: 33, EMLINK: 34, EMSGSIZE: 35,
  EMULTIHOP: 36, ENAMETOOLONG: 37, ENETDOWN: 38, ENETRESET: 39, ENETUNREACH: 40, ENFILE: 41,
  ENOBUFS: 42, ENODEV: 43, ENOENT: 44, ENOEXEC: 45, ENOLCK: 46, ENOLINK: 47, ENOMEM: 48,
  ENOMSG: 49, ENOPROTOOPT: 50, ENOSPC: 51, ENOSYS: 52, ENOTCONN: 53, ENOTDIR: 54, ENOTEMPTY: 55,
  ENOTRECOVERABLE: 56, ENOTSOCK: 57, ENOTSUP: 58, EOPNOTSUPP: 58, ENOTTY: 59, ENXIO: 60,
  EOVERFLOW: 61, EOWNERDEAD: 62, EPERM: 63, EPIPE: 64, EPROTO: 65, EPROTONOSUPPORT: 66,
  EPROTOTYPE: 67, ERANGE: 68, EROFS: 69, ESPIPE: 70, ESRCH: 71, ESTALE: 72, ETIMEDOUT: 73,
  ETXTBSY: 74, EXDEV: 75,
});

const WASI_BY_LINUX = new Map<number, number>();
for (const [name, linux] of Object.entries(constants.errno)) {
  const wasi = (WASI_ERRNO as Record<string, number>)[name];
  if (wasi !== undefined && !WASI_BY_LINUX.has(linux)) WASI_BY_LINUX.set(linux, wasi);
}
WASI_BY_LINUX.set(LINUX_ERRNO.ENOTSUPP, WASI_ERRNO.ENOTSUP);

/** A Linux errno (either sign) as the guest's negative errno; one WASI has no name for is EIO. */
export function guestErrno(linuxErrno: number): number {
  return -(WASI_BY_LINUX.get(Math.abs(linuxErrno)) ?? WASI_ERRNO.EIO);
}

const LINUX_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** A Linux errno's name (either sign), e.g. "ENOENT", for messages. */
export function errnoName(linuxErrno: number): string {
  return LINUX_NAMES.get(Math.abs(linuxErrno)) ?? `errno ${Math.abs(linuxErrno)}`;
}
