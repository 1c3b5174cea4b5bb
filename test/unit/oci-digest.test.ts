// Digest helpers: parsing, whole-blob and streamed verification, and their error codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DigestVerifier, isDigest, parseDigest, sha256, verifyBlob } from '../../oci-spec/index.ts';

const bytes = new TextEncoder().encode('hello wasmbpf\n');
const good = { digest: sha256(bytes), size: bytes.length };

test('sha256 is the well-known value', () => {
  assert.equal(sha256(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('isDigest/parseDigest accept sha256 and sha512 and nothing else', () => {
  assert.ok(isDigest(good.digest));
  assert.ok(isDigest(`sha512:${'a'.repeat(128)}`));
  for (const bad of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, `${'a'.repeat(64)}`, 42]) {
    assert.equal(isDigest(bad), false, String(bad));
  }
  assert.throws(() => parseDigest('sha256:xyz', 'layer digest'), { code: 'WASMBPF_OCI_INVALID', message: /layer digest/ });
});

test('verifyBlob accepts the exact bytes', () => {
  verifyBlob(good, bytes);
});

test('verifyBlob rejects truncated content with the sizes in the message', () => {
  assert.throws(() => verifyBlob(good, bytes.subarray(0, 5)), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMBPF_SIZE_MISMATCH');
    assert.match(err.message, new RegExp(`expected ${bytes.length} bytes, got 5 \\(truncated\\)`));
    return true;
  });
});

test('verifyBlob rejects same-size different content naming both digests', () => {
  const other = new Uint8Array(bytes);
  other[0] = 0x48;
  assert.throws(() => verifyBlob(good, other), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'WASMBPF_DIGEST_MISMATCH');
    assert.ok(err.message.includes(good.digest));
    assert.ok(err.message.includes(sha256(other)));
    return true;
  });
});

test('DigestVerifier verifies streamed chunks and stops at the first byte past the size', () => {
  const v = new DigestVerifier(good);
  v.update(bytes.subarray(0, 3));
  v.update(bytes.subarray(3));
  v.finish();
  assert.equal(v.size, bytes.length);

  const over = new DigestVerifier(good);
  over.update(bytes);
  assert.throws(() => over.update(new Uint8Array([1])), { code: 'WASMBPF_SIZE_MISMATCH' });

  const short = new DigestVerifier(good);
  short.update(bytes.subarray(0, 4));
  assert.throws(() => short.finish(), { code: 'WASMBPF_SIZE_MISMATCH', message: /truncated/ });

  const wrong = new DigestVerifier({ digest: sha256('x'), size: bytes.length });
  wrong.update(bytes);
  assert.throws(() => wrong.finish(), { code: 'WASMBPF_DIGEST_MISMATCH' });
});
