import { copyFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataFormatError, InvalidOptionError } from '../errors';
import { readJsonl } from '../data/jsonl-reader';
import type { JsonlTailRepair } from './jsonl-writer';
import { openJsonlWriter } from './jsonl-writer';
import { syncFile, syncFolder, temporaryPathBeside } from './atomic-file';

/** Options of {@link openResumableJsonlWriter}. */
export interface ResumableJsonlWriterOptions<T> {
  /** The key of a record: `has(key)` answers for records already written, and a key is written once. */
  keyOf?: (record: T) => string;
  /**
   * Write into `<path>.partial` and move it over `path` only on `commit()` (atomic rename): a reader of
   * `path` never sees a half-done file, and a killed run resumes from the partial file.
   */
  staged?: boolean;
  /**
   * Staged, with no partial file but a finished `path`: copy its records into the new partial file so
   * they count as written (default true), or start empty and replace `path` on commit (false).
   */
  continueFinished?: boolean;
  /** Called with each record found in the file when it is opened, in file order. */
  onExisting?: (record: T, line: number) => void;
  /** Flush each record to the disk (fdatasync), not just the OS. */
  sync?: boolean;
}

/** An append-only JSONL output that knows which records a previous (killed) run already wrote. */
export interface ResumableJsonlWriter<T> {
  /** The output file. */
  readonly path: string;
  /** The file records are appended to: `path`, or `<path>.partial` when staged. */
  readonly writingPath: string;
  /** Records found in the file when it was opened. */
  readonly resumed: number;
  /** Records written through this writer. */
  readonly written: number;
  /** What was done to a torn last line left by an interrupted write. */
  readonly repair: JsonlTailRepair;
  /** Returns whether a record with this key is in the file (always false without `keyOf`). */
  has(key: string): boolean;
  /** Appends a record (in the file before resolving); throws when its key is already written. */
  write(record: T): Promise<void>;
  /** Waits for pending writes and closes the file; a staged output stays partial. */
  close(): Promise<void>;
  /** Closes the file and, when staged, flushes it to the disk and renames it over `path`. */
  commit(): Promise<void>;
}

/** Returns the partial file a staged output at `path` is written to. */
export function partialPathOf(path: string): string {
  return `${path}.partial`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Returns a writer appending to `path` (or, staged, to `<path>.partial`) after reading the records
 * already there: a torn last line (a write cut short by a kill) is dropped and its record is redone;
 * a malformed line elsewhere, or a duplicated key, is a DataFormatError naming the line.
 */
export async function openResumableJsonlWriter<T>(path: string, options: ResumableJsonlWriterOptions<T> = {}): Promise<ResumableJsonlWriter<T>> {
  if (typeof path !== 'string' || path === '') throw new InvalidOptionError('a resumable JSONL writer needs a file path', { option: 'path' });
  const { keyOf, staged = false, continueFinished = true } = options;
  const writingPath = staged ? partialPathOf(path) : path;
  if (staged && continueFinished && !(await exists(writingPath)) && (await exists(path))) {
    // Continue a finished output: its records count as written; the copy is renamed in only when complete.
    const copy = temporaryPathBeside(writingPath);
    try {
      await copyFile(path, copy);
      await rename(copy, writingPath);
    } catch (cause) {
      await unlink(copy).catch(() => undefined);
      throw new DataFormatError(`cannot start the partial output: ${(cause as Error).message}`, { file: writingPath, cause });
    }
  }
  const keys = new Set<string>();
  let resumed = 0;
  if (await exists(writingPath)) {
    const reader = readJsonl<T>(writingPath, { onError: 'skip' });
    for await (const { line, value } of reader) {
      resumed += 1;
      options.onExisting?.(value, line);
      if (!keyOf) continue;
      let key: string;
      try {
        key = keyOf(value);
      } catch (cause) {
        throw new DataFormatError(`the record cannot be keyed: ${(cause as Error).message}`, {
          file: writingPath,
          line,
          cause,
          hint: 'is this the output file of the same job?',
        });
      }
      if (keys.has(key))
        throw new DataFormatError(`record ${JSON.stringify(key)} appears twice`, {
          file: writingPath,
          line,
          hint: 'the file was not written by a resumable run; start a new output file',
        });
      keys.add(key);
    }
    const { report } = reader;
    const midFileError = report.firstErrors.find((error) => error.line !== report.lines);
    if (midFileError || report.skipped > 1) {
      throw new DataFormatError(`a malformed record in the middle of the output: ${(midFileError ?? report.firstErrors[0])?.message ?? ''}`, {
        file: writingPath,
        ...(midFileError?.line !== undefined ? { line: midFileError.line } : {}),
        hint: 'only the last line may be torn by an interrupted run; fix or remove the damaged line',
      });
    }
  }
  const writer = await openJsonlWriter<T>(writingPath, { append: true, ...(options.sync ? { sync: true } : {}) });
  let committed = false;
  return {
    path,
    writingPath,
    resumed,
    get written() {
      return writer.written;
    },
    repair: writer.repair,
    has: (key) => keys.has(key),
    async write(record: T): Promise<void> {
      if (committed) throw new InvalidOptionError('the output is already committed', { hint: 'open a new writer to add records' });
      if (keyOf) {
        const key = keyOf(record);
        if (keys.has(key))
          throw new DataFormatError(`record ${JSON.stringify(key)} is already written`, { file: writingPath, hint: 'check has(key) before generating it' });
        keys.add(key);
      }
      await writer.write(record);
    },
    close: () => writer.close(),
    async commit(): Promise<void> {
      await writer.close();
      if (committed || !staged) return;
      committed = true;
      await syncFile(writingPath);
      await rename(writingPath, path);
      await syncFolder(dirname(path));
    },
  };
}
