import { copyFile, lstat, mkdir, readdir, readFile, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { HubError } from '../../errors';

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
      const temporary = `${path}.${process.pid}.tmp`;
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
      if (await lstat(pointer).catch(() => undefined)) await unlink(pointer);
      try {
        await symlink(relative(dirname(pointer), blob), pointer);
      } catch (error) {
        if (!['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        await copyFile(blob, pointer);
      }
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
