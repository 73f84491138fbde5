import { DataFormatError, InvalidOptionError } from '../errors';
import { readByteChunks, type JsonlSource } from './byte-source';
import { asRecordError, recordError, type RecordLocation } from './record-location';
import { findInvalidUtf8 } from './utf8-validation';

/** The longest line read by default: 64 MiB. No more than this is ever buffered for one line. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** How many errors a report keeps in `firstErrors`. */
export const REPORTED_ERRORS = 10;

/** One record read from a JSONL source: its 1-based line number and its (validated) value. */
export interface JsonlLine<T = unknown> {
  readonly line: number;
  readonly value: T;
}

/**
 * What a reader has seen so far (final once iteration ends): every line counted is yielded,
 * skipped or blank, so `yielded + skipped + blank === lines`.
 */
export interface JsonlReport {
  /** Lines read, including blank ones and a last line without a newline. */
  lines: number;
  /** Records yielded. */
  yielded: number;
  /** Lines skipped because they were malformed (only with `onError: 'skip'`). */
  skipped: number;
  /** Lines holding only whitespace, which carry no record and are passed over. */
  blank: number;
  /** The first errors of skipped lines (at most 10), each located by file, line and field. */
  firstErrors: DataFormatError[];
}

export interface ReadJsonlOptions<T = unknown> {
  /** Throw at the first malformed line (default), or skip it and count it in the report. */
  onError?: 'throw' | 'skip';
  /** The longest line accepted, in bytes (default 64 MiB); longer lines are errors, never buffered whole. */
  maxLineBytes?: number;
  /** The file name errors name (default: the path when the source is one). */
  file?: string;
  /** Called with each skipped line's error (skip mode). */
  onSkip?: (error: DataFormatError) => void;
  /**
   * Turns each parsed JSON value into a record, throwing a located DataFormatError when it does not
   * fit; such lines are skipped or thrown like unparsable ones.
   */
  validate?: (value: unknown, location: RecordLocation & { line: number }) => T;
}

const BOM = [0xef, 0xbb, 0xbf];
const blankPattern = /^[ \t\r]*$/;

/** Returns a short, quoted start of a line for error messages. */
function excerpt(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** Returns the pieces of a line joined into one array (the piece itself when there is one). */
function concatenate(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/**
 * A streaming, single-use reader of JSONL records: iterate it with `for await`, then read `report`.
 * Memory stays bounded by the longest line (at most `maxLineBytes`), whatever the file size.
 */
export class JsonlReader<T = unknown> implements AsyncIterable<JsonlLine<T>> {
  /** The running count of lines, records, skips and the first errors; final once iteration ends. */
  readonly report: JsonlReport = { lines: 0, yielded: 0, skipped: 0, blank: 0, firstErrors: [] };
  readonly #source: JsonlSource;
  readonly #options: ReadJsonlOptions<T>;
  readonly #file: string | undefined;
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  #started = false;

  constructor(source: JsonlSource, options: ReadJsonlOptions<T> = {}) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new InvalidOptionError(`maxLineBytes must be a positive integer, got ${String(maxLineBytes)}`, { option: 'maxLineBytes' });
    }
    if (options.onError !== undefined && options.onError !== 'throw' && options.onError !== 'skip') {
      throw new InvalidOptionError(`onError must be "throw" or "skip", got ${JSON.stringify(options.onError)}`, { option: 'onError' });
    }
    this.#source = source;
    this.#options = options;
    this.#file = options.file ?? (typeof source === 'string' ? source : undefined);
    this.#maxLineBytes = maxLineBytes;
  }

  /** Returns the iterator over the records; a reader can be iterated once. */
  [Symbol.asyncIterator](): AsyncIterator<JsonlLine<T>> {
    if (this.#started) {
      throw new InvalidOptionError('a JSONL reader can be iterated only once', { hint: 'call readJsonl again to read the source again' });
    }
    this.#started = true;
    return this.#records();
  }

  #location(line: number): RecordLocation & { line: number } {
    return this.#file !== undefined ? { file: this.#file, line } : { line };
  }

  /** Throws `error` in throw mode; in skip mode counts it and keeps it among the first errors. */
  #fail(error: DataFormatError): void {
    if (this.#options.onError !== 'skip') throw error;
    this.report.skipped += 1;
    if (this.report.firstErrors.length < REPORTED_ERRORS) this.report.firstErrors.push(error);
    this.#options.onSkip?.(error);
  }

  /** Returns the record of one complete line, or `undefined` when it is blank or was skipped. */
  #parseLine(bytes: Uint8Array, line: number, last: boolean): { value: T } | undefined {
    this.report.lines += 1;
    const location = this.#location(line);
    let start = 0;
    if (line === 1 && bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2]) start = 3;
    const body = start === 0 ? bytes : bytes.subarray(start);
    let text: string;
    try {
      text = this.#decoder.decode(body);
    } catch (cause) {
      const offset = findInvalidUtf8(body);
      const at = offset === -1 ? '' : `: byte 0x${body[offset]!.toString(16).padStart(2, '0')} at byte offset ${offset + start} of the line`;
      this.#fail(recordError(location, undefined, `line is not valid UTF-8${at}`, 're-encode the file as UTF-8', cause));
      return undefined;
    }
    if (blankPattern.test(text)) {
      this.report.blank += 1;
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      const truncated = last ? 'the last line has no trailing newline and ' : '';
      this.#fail(
        recordError(
          location,
          undefined,
          `${truncated}line is not valid JSON (${reason}); it starts ${excerpt(text)}`,
          last ? 'the file looks truncated: a write was probably interrupted' : 'each line must hold exactly one complete JSON value',
          cause,
        ),
      );
      return undefined;
    }
    if (this.#options.validate === undefined) return { value: value as T };
    try {
      return { value: this.#options.validate(value, location) };
    } catch (error) {
      this.#fail(asRecordError(error, location, undefined));
      return undefined;
    }
  }

  async *#records(): AsyncGenerator<JsonlLine<T>> {
    const maxLineBytes = this.#maxLineBytes;
    let pieces: Uint8Array[] = [];
    let pending = 0;
    let discarding = false;
    let line = 0;
    const tooLong = (at: number) =>
      recordError(
        this.#location(at),
        undefined,
        `line is longer than maxLineBytes (${maxLineBytes} bytes)`,
        'raise maxLineBytes or split the record; the line is skipped, not buffered',
      );
    for await (const chunk of readByteChunks(this.#source, this.#file)) {
      let start = 0;
      while (start <= chunk.length) {
        const newline = chunk.indexOf(10, start);
        const end = newline === -1 ? chunk.length : newline;
        if (!discarding && end > start) {
          if (pending + (end - start) > maxLineBytes) {
            discarding = true;
            pieces = [];
            pending = 0;
            this.#fail(tooLong(line + 1));
          } else {
            // A piece that continues in the next chunk is copied: producers may reuse their buffers.
            pieces.push(newline === -1 ? chunk.slice(start, end) : chunk.subarray(start, end));
            pending += end - start;
          }
        }
        if (newline === -1) break;
        line += 1;
        if (discarding) {
          discarding = false;
          this.report.lines += 1;
        } else {
          const record = this.#parseLine(concatenate(pieces, pending), line, false);
          if (record) {
            this.report.yielded += 1;
            yield { line, value: record.value };
          }
        }
        pieces = [];
        pending = 0;
        start = newline + 1;
      }
    }
    if (discarding) {
      this.report.lines += 1;
    } else if (pending > 0) {
      line += 1;
      const record = this.#parseLine(concatenate(pieces, pending), line, true);
      if (record) {
        this.report.yielded += 1;
        yield { line, value: record.value };
      }
    }
  }
}

/**
 * Returns a streaming reader of a JSONL source yielding `{ line, value }` per record. Errors name the
 * file, the 1-based line and what is wrong (the JSON parser's reason, invalid UTF-8, a line over
 * `maxLineBytes`); with `onError: 'skip'` bad lines are counted in `reader.report` instead.
 */
export function readJsonl<T = unknown>(source: JsonlSource, options: ReadJsonlOptions<T> = {}): JsonlReader<T> {
  return new JsonlReader<T>(source, options);
}
