// The one Linux → WASI errno translation every host import's failure goes through (docs/abi.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errnoName, guestErrno, LINUX_ERRNO, WASI_ERRNO } from '../../runtime/errno.ts';

test('a Linux errno of either sign becomes the guest\'s negative WASI errno', () => {
  assert.equal(guestErrno(LINUX_ERRNO.EINTR), -27);
  assert.equal(guestErrno(-LINUX_ERRNO.EINTR), -27);
  assert.equal(guestErrno(LINUX_ERRNO.ENOENT), -44);
  assert.equal(guestErrno(LINUX_ERRNO.EPERM), -WASI_ERRNO.EPERM);
  assert.equal(guestErrno(LINUX_ERRNO.EOPNOTSUPP), -WASI_ERRNO.ENOTSUP);
});

test('the kernel-internal ENOTSUPP is not supported, and an errno WASI has no name for is EIO', () => {
  assert.equal(guestErrno(LINUX_ERRNO.ENOTSUPP), -WASI_ERRNO.ENOTSUP);
  assert.equal(guestErrno(126 /* ENOKEY */), -WASI_ERRNO.EIO);
});

test('errno names for messages, unknown numbers by number', () => {
  assert.equal(errnoName(-LINUX_ERRNO.ENOENT), 'ENOENT');
  assert.equal(errnoName(LINUX_ERRNO.ENOTSUPP), 'errno 524');
});
