import { open, type FileHandle } from 'node:fs/promises';
import { DataFormatError, InvalidOptionError } from '../errors';
import { toJsonlLine } from '../data/jsonl-line';
import { DEFAULT_MAX_LINE_BYTES } from '../data/jsonl-reader';
import type { RecordLocation } from '../data/record-location';
import { writeAll } from './atomic-file';

/** What opening a writer did to an existing file whose last line had no newline (an interrupted write). */
export type JsonlTailRepair =
  /** The file was empty, missing, ended with a newline, or was overwritten. */
  | { readonly kind: 'none' }
  /** The last line held a complete JSON value without its newline: a newline was added, nothing lost. */
  | { readonly kind: 'newline-added' }
  /** The last line was an incomplete record: its bytes were cut off so the next record starts a line. */
  | { readonly kind: 'truncated'; readonly bytes: number };

export interface JsonlWriterOptions {
  /** Add to an existing file (default) or replace it. */
  append?: boolean;
  /** Also flush each record to the disk (fdatasync), not just to the OS: slower, survives power loss. */
  sync?: boolean;
}

/** An append-only JSONL file: each `write` puts one record and its newline into the file before resolving. */
export interface JsonlWriter<T = unknown> {
  readonly path: string;
  /** Records written through this writer. */
  readonly written: number;
  /** What was done to a broken last line of the existing file when it was opened. */
  readonly repair: JsonlTailRepair;
  /** Resolves once the record is in the file; calls made without awaiting keep their order. */
  write(value: T): Promise<void>;
  /** Resolves once every pending write is done and the file is closed. */
  close(): Promise<void>;
}

/** Returns what must be done to the last line of an existing file so appended records start a line. */
async function inspectTail(handle: FileHandle, size: number): Promise<{ repair: JsonlTailRepair; cutAt: number }> {
  if (size === 0) return { repair: { kind: 'none' }, cutAt: size };
  const last = new Uint8Array(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 10) return { repair: { kind: 'none' }, cutAt: size };
  const block = 64 * 1024;
  let lineStart = 0;
  for (let end = size; end > 0; end -= block) {
    const start = Math.max(0, end - block);
    const bytes = new Uint8Array(end - start);
    await handle.read(bytes, 0, bytes.length, start);
    const newline = bytes.lastIndexOf(10);
    if (newline !== -1) {
      lineStart = start + newline + 1;
      break;
    }
  }
  const tailLength = size - lineStart;
  if (tailLength <= DEFAULT_MAX_LINE_BYTES) {
    const tail = new Uint8Array(tailLength);
    await handle.read(tail, 0, tailLength, lineStart);
    try {
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(tail));
      return { repair: { kind: 'newline-added' }, cutAt: size };
    } catch {
      // An incomplete record: cut it off below.
    }
  }
  return { repair: { kind: 'truncated', bytes: tailLength }, cutAt: lineStart };
}

/**
 * Returns an append-only JSONL writer on `path` that puts each record into the file as it is written
 * (records are complete at their newline). When appending to a file whose last line lacks its
 * newline, a complete JSON value gets its newline and an incomplete one — an interrupted write — is
 * cut off; `writer.repair` says which.
 */
export async function openJsonlWriter<T = unknown>(path: string, options: JsonlWriterOptions = {}): Promise<JsonlWriter<T>> {
  if (typeof path !== 'string' || path === '') throw new InvalidOptionError('a JSONL writer needs a file path', { option: 'path' });
  const append = options.append ?? true;
  let handle: FileHandle;
  let repair: JsonlTailRepair = { kind: 'none' };
  try {
    handle = await open(path, append ? 'a+' : 'w');
    if (append) {
      const { size } = await handle.stat();
      const tail = await inspectTail(handle, size);
      repair = tail.repair;
      if (tail.repair.kind === 'truncated') await handle.truncate(tail.cutAt);
      if (tail.repair.kind === 'newline-added') await handle.write('\n');
    }
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const hint =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'choose a writable location, or fix the permissions of the folder'
        : code === 'ENOENT'
          ? 'create the folder first'
          : code === 'EISDIR'
            ? 'give a file path, not a folder'
            : undefined;
    throw new DataFormatError(`cannot open the file for writing: ${(cause as Error).message}`, { file: path, cause, ...(hint ? { hint } : {}) });
  }
  const encoder = new TextEncoder();
  let written = 0;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  const writeRecord = async (bytes: Uint8Array) => {
    await writeAll(handle, bytes);
    if (options.sync) await handle.datasync();
  };
  return {
    path,
    get written() {
      return written;
    },
    repair,
    write(value: T): Promise<void> {
      if (closed) return Promise.reject(new InvalidOptionError('the JSONL writer is closed', { hint: 'open a new writer to append more records' }));
      let bytes: Uint8Array;
      try {
        bytes = encoder.encode(`${toJsonlLine(value)}\n`);
      } catch (error) {
        return Promise.reject(error);
      }
      const next = queue.then(async () => {
        await writeRecord(bytes);
        written += 1;
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue;
      await handle.close();
    },
  };
}

/** Options of {@link writeJsonl}. */
export interface WriteJsonlOptions<T> extends JsonlWriterOptions {
  /** Checks (and may normalise) each value before it is written; throwing stops the write. */
  validate?: (value: T, location: RecordLocation) => T;
}

/**
 * Writes every value as one JSONL line (replacing the file unless `append`) and returns how many were
 * written. With `validate`, each value is checked first; a bad one stops the write, its 1-based
 * position given as the line.
 */
export async function writeJsonl<T>(path: string, values: AsyncIterable<T> | Iterable<T>, options: WriteJsonlOptions<T> = {}): Promise<number> {
  const { validate, ...writerOptions } = options;
  const writer = await openJsonlWriter<T>(path, { append: false, ...writerOptions });
  try {
    let line = 0;
    for await (const value of values) {
      line += 1;
      await writer.write(validate ? validate(value, { file: path, line }) : value);
    }
  } finally {
    await writer.close();
  }
  return writer.written;
}
