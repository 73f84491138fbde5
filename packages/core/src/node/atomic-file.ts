import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Returns a fresh temporary file name beside `path` (same folder, so the final rename is atomic). */
export function temporaryPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Flushes a folder's entries to the disk (so a rename in it survives a power loss). Where a folder
 * cannot be opened or synced (Windows, some network file systems) this does nothing.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Not supported here: the rename is still atomic, only its durability is up to the OS.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Flushes a file's bytes to the disk (fsync). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all of `bytes` at the handle's current position; returns once written. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written);
    written += bytesWritten;
  }
}

/**
 * Writes a file atomically: `write` streams into a temporary file in the same folder as `path`,
 * which is flushed to the disk (fsync) and renamed over `path` only when `write` succeeds; the folder
 * is then synced where the platform allows. Readers never see a half-written file, and on any failure
 * the temporary file is removed and `path` is left as it was. Returns what `write` returned.
 */
export async function writeFileAtomically<T>(path: string, write: (handle: FileHandle) => Promise<T>): Promise<T> {
  const temporary = temporaryPathBeside(path);
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
  try {
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
  return result;
}

/** Writes `bytes` to `path` atomically; returns once renamed into place. */
export async function writeBytesAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomically(path, (handle) => writeAll(handle, bytes));
}

/** Writes `text` (UTF-8) to `path` atomically; returns once renamed into place. */
export async function writeTextFileAtomically(path: string, text: string): Promise<void> {
  await writeBytesAtomically(path, new TextEncoder().encode(text));
}
