import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { HubError } from '../../errors';
import { sleep } from '../../remote/sleep';

/** A download lock not refreshed for this long is taken over (its holder died). */
const STALE_LOCK_MS = 60_000;

/**
 * The Hugging Face cache layout, shared with Python's huggingface_hub:
 * `<cache>/models--org--name/{blobs/<etag>, refs/<revision>, snapshots/<commit>/<file>}`, where each
 * snapshot file is a relative symlink into blobs/ (a copy where symlinks are not allowed).
 */
export class HubCacheFolder {
  readonly cacheDir: string;
  readonly repo: string;
  /** `<cache>/models--org--name`. */
  readonly folder: string;

  constructor(cacheDir: string, repo: string) {
    this.cacheDir = cacheDir;
    this.repo = repo;
    this.folder = join(cacheDir, `models--${repo.split('/').join('--')}`);
  }

  blobPath(etag: string): string {
    return join(this.folder, 'blobs', etag);
  }

  snapshotFolder(commit: string): string {
    return join(this.folder, 'snapshots', commit);
  }

  snapshotPath(commit: string, file: string): string {
    return join(this.snapshotFolder(commit), ...file.split('/'));
  }

  /** The commit a branch or tag pointed at when last fetched, from refs/<revision>. */
  async readRef(revision: string): Promise<string | undefined> {
    const text = await readFile(join(this.folder, 'refs', ...revision.split('/')), 'utf8').catch(() => undefined);
    const commit = text?.trim();
    return commit !== undefined && /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
  }

  /** Records that `revision` (a branch or tag) points at `commit` (no newline, as huggingface_hub writes it). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = join(this.folder, 'refs', ...revision.split('/'));
    if ((await readFile(path, 'utf8').catch(() => undefined)) === commit) return;
    await this.writable(path, async () => {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      await writeFile(temporary, commit);
      await rename(temporary, path);
    });
  }

  /** Links snapshots/<commit>/<file> to the blob (relative symlink; a copy when links are refused). */
  async linkSnapshotFile(commit: string, file: string, etag: string): Promise<string> {
    const pointer = this.snapshotPath(commit, file);
    const blob = this.blobPath(etag);
    await this.writable(pointer, async () => {
      await mkdir(dirname(pointer), { recursive: true });
      // Made beside it and renamed over it: a concurrent call linking the same file never sees EEXIST.
      const temporary = `${pointer}.${randomUUID().slice(0, 8)}.link`;
      try {
        await symlink(relative(dirname(pointer), blob), temporary);
      } catch (error) {
        if (!['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        await copyFile(blob, temporary);
      }
      await rename(temporary, pointer);
    });
    return pointer;
  }

  /** True when `path` exists, following symlinks (a dangling link does not count). */
  async exists(path: string): Promise<boolean> {
    return (await stat(path).catch(() => undefined))?.isFile() === true;
  }

  /** The files of a snapshot, as repo paths with forward slashes (empty when there is none). */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = this.snapshotFolder(commit);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    const files: string[] = [];
    for (const entry of entries) {
      const path = join(entry.parentPath, entry.name);
      if (await this.exists(path)) files.push(relative(root, path).split(/[\\/]/).join('/'));
    }
    return files.sort();
  }

  /**
   * Runs `action` holding `.locks/models--org--name/<etag>.steerlm.lock`, so that two processes (or two
   * calls) never write one blob's .incomplete file at once; the other waits, then finds the blob. The
   * holder refreshes the lock while it works; one left by a dead process goes stale and is taken over.
   */
  async withBlobLock<T>(etag: string, action: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lock = join(this.cacheDir, '.locks', `models--${this.repo.split('/').join('--')}`, `${etag}.steerlm.lock`);
    await this.writable(lock, () => mkdir(dirname(lock), { recursive: true }));
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return this.writable(lock, () => Promise.reject(error));
      }
      const info = await stat(lock).catch(() => undefined);
      const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
      const dead = Number.isInteger(holder) && holder > 0 && !processAlive(holder);
      if (info !== undefined && (dead || Date.now() - info.mtimeMs > STALE_LOCK_MS)) await unlink(lock).catch(() => undefined);
      else await sleep(100, signal);
    }
    const refresh = setInterval(() => {
      const now = new Date();
      utimes(lock, now, now).catch(() => undefined);
    }, STALE_LOCK_MS / 4);
    try {
      return await action();
    } finally {
      clearInterval(refresh);
      await unlink(lock).catch(() => undefined);
    }
  }

  /** Runs `action`, turning a file-system refusal into a HubError that names the cache and how to move it. */
  async writable<T>(path: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EISDIR'].includes(code)) throw error;
      throw new HubError(`cannot write the Hugging Face cache (${code}: ${(error as Error).message})`, {
        reason: 'cache-not-writable',
        repo: this.repo,
        file: path,
        cause: error,
        hint:
          code === 'ENOSPC'
            ? `free disk space, or point HF_HUB_CACHE at a folder on a disk with room (now ${this.cacheDir})`
            : `point HF_HUB_CACHE (or HF_HOME) at a folder you can write (now ${this.cacheDir}), or fix its permissions`,
      });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
