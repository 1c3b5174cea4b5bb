// Writes that are all-or-nothing: content goes to a temporary file in the destination's own
// directory tree (so rename(2) is atomic, never a cross-device copy), is fsynced, and is
// renamed into place only once complete and verified. On any error the temporary file is
// removed, so a crash or a bad download never leaves a half-written blob or index behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Streams `chunks` into `dest` via a temp file in `tmpDir`; `check` runs after the last chunk and may throw to abort. */
export async function writeAtomically(
  dest: string,
  tmpDir: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  hooks: { onChunk?: (chunk: Uint8Array) => void; check?: () => void } = {},
): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  let closed = false;
  try {
    for await (const chunk of chunks) {
      hooks.onChunk?.(chunk);
      await handle.write(chunk);
    }
    hooks.check?.();
    await handle.sync();
    await handle.close();
    closed = true;
    await rename(tmp, dest);
  } catch (err) {
    if (!closed) await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeFileAtomically(dest: string, tmpDir: string, bytes: Uint8Array | string): Promise<void> {
  await writeAtomically(dest, tmpDir, [typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes]);
}
