// Writes that are all-or-nothing: content goes to a temporary file in the destination's own
// directory tree (so rename(2) is atomic, never a cross-device copy), is fsynced, and is
// renamed into place only once complete and verified. On any error the temporary file is
// removed, so a crash or a bad download never leaves a half-written blob or index behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { diskFull } from './disk-full.ts';

type Hooks = { onChunk?: (chunk: Uint8Array) => void; check?: () => void };

/** Streams `chunks` into `dest` via a temp file in `tmpDir`; `check` runs after the last chunk and may throw to abort. */
export async function writeAtomically(
  dest: string,
  tmpDir: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  hooks: Hooks = {},
): Promise<void> {
  try {
    await write(dest, tmpDir, chunks, hooks);
  } catch (err) {
    throw diskFull(err, dest); // a full disk: WASMBPF_NO_SPACE naming the place (disk-full.ts)
  }
}

async function write(dest: string, tmpDir: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, hooks: Hooks): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  let closed = false;
  try {
    for await (const chunk of chunks) {
      hooks.onChunk?.(chunk);
      // write(2) may write less than asked when the disk fills (the next call fails ENOSPC);
      // FileHandle.write does not retry, and an unchecked short write left a truncated blob
      // renamed into the store as if complete (found with a full tmpfs).
      for (let done = 0; done < chunk.length;) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        if (bytesWritten <= 0) throw Object.assign(new Error(`short write to ${tmp}`), { code: 'ENOSPC' });
        done += bytesWritten;
      }
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
