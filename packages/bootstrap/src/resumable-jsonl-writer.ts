import { DataFormatError, openJsonlWriter, readJsonl, type JsonlTailRepair } from '@steerlm/core';

/** An append-only JSONL output that knows which keyed records a previous (killed) run already wrote. */
export interface ResumableJsonlWriter<T> {
  readonly path: string;
  /** Records found in the file when it was opened. */
  readonly resumed: number;
  /** What was done to a torn last line left by an interrupted write. */
  readonly repair: JsonlTailRepair;
  /** Returns whether a record with this key is in the file. */
  has(key: string): boolean;
  /** Appends a record (flushed to the file before resolving); throws when its key is already written. */
  write(record: T): Promise<void>;
  /** Waits for pending writes and closes the file. */
  close(): Promise<void>;
}

/**
 * Returns a writer appending to `path` after reading the keys of the records already there: a torn
 * last line (a write cut short by a kill) is dropped and its record is redone; a malformed line
 * elsewhere, or a duplicated key, is a DataFormatError naming the line.
 */
export async function openResumableJsonlWriter<T>(path: string, keyOf: (record: T) => string): Promise<ResumableJsonlWriter<T>> {
  const fs = await import('node:fs/promises');
  const keys = new Set<string>();
  const exists = await fs.stat(path).then(() => true, () => false);
  if (exists) {
    const reader = readJsonl<T>(path, { onError: 'skip' });
    for await (const { line, value } of reader) {
      let key: string;
      try {
        key = keyOf(value);
      } catch (cause) {
        throw new DataFormatError(`the record cannot be keyed: ${(cause as Error).message}`, { file: path, line, cause, hint: 'is this the output file of the same job?' });
      }
      if (keys.has(key)) throw new DataFormatError(`record ${JSON.stringify(key)} appears twice`, { file: path, line, hint: 'the file was not written by a resumable run; start a new output file' });
      keys.add(key);
    }
    const { report } = reader;
    const midFileError = report.firstErrors.find((error) => error.line !== report.lines);
    if (midFileError || report.skipped > 1) {
      throw new DataFormatError(`a malformed record in the middle of the output: ${(midFileError ?? report.firstErrors[0])?.message ?? ''}`, {
        file: path,
        ...(midFileError?.line !== undefined ? { line: midFileError.line } : {}),
        hint: 'only the last line may be torn by an interrupted run; fix or remove the damaged line',
      });
    }
  }
  const resumed = keys.size;
  const writer = await openJsonlWriter<T>(path, { append: true });
  return {
    path,
    resumed,
    repair: writer.repair,
    has: (key) => keys.has(key),
    async write(record: T): Promise<void> {
      const key = keyOf(record);
      if (keys.has(key)) throw new DataFormatError(`record ${JSON.stringify(key)} is already written`, { file: path, hint: 'check has(key) before generating it' });
      keys.add(key);
      await writer.write(record);
    },
    close: () => writer.close(),
  };
}
