import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically: `write` streams into a temporary file beside `path`, which is flushed to
 * disk and renamed over `path` only when `write` succeeds (readers never see a half-written file).
 * Returns what `write` returned.
 */
export async function writeFileAtomically<T>(path: string, write: (handle: FileHandle) => Promise<T>): Promise<T> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx');
  let result: T;
  try {
    result = await write(handle);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return result;
}

/** Writes all of `bytes` at the handle's current position; returns once written. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written);
    written += bytesWritten;
  }
}

/** Writes `text` (UTF-8) to `path` atomically; returns once renamed into place. */
export async function writeTextFileAtomically(path: string, text: string): Promise<void> {
  await writeFileAtomically(path, (handle) => writeAll(handle, new TextEncoder().encode(text)));
}
