import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DataFormatError } from '../errors';
import type { JsonlLine } from '../data/jsonl-reader';

/** Options of {@link readParquetRows}. */
export interface ReadParquetRowsOptions {
  /** The columns to read (default: every column); a column the file lacks is an error naming the ones it has. */
  columns?: readonly string[];
  /** The file name errors name (default: the path). */
  file?: string;
  /**
   * The most rows decoded at once (default: a whole row group, the unit parquet compresses; memory
   * holds one row group). Smaller windows bound memory further but decode a row group's pages again.
   */
  batchRows?: number;
}

/** What a parquet file holds: its top-level columns and rows. */
export interface ParquetFileInfo {
  /** The top-level column names, in file order. */
  readonly columns: readonly string[];
  /** The number of rows of every row group together. */
  readonly rows: number;
}

/** Parquet files start and end with these bytes. */
const MAGIC = 'PAR1';

/** Returns the value with 64-bit integers (BigInt, as parquet INT64 columns decode) as numbers, recursively. */
function plainValue(value: unknown, location: { file: string; line: number }, field: string): unknown {
  if (typeof value === 'bigint') {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) {
      throw new DataFormatError(`the integer ${value} is too large for a JavaScript number`, { ...location, field });
    }
    return number;
  }
  if (Array.isArray(value)) return value.map((item, index) => plainValue(item, location, `${field}[${index}]`));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const object: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) object[key] = plainValue(inner, location, `${field}.${key}`);
    return object;
  }
  return value;
}

async function openParquet(path: string, file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new DataFormatError(`cannot read the file: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: code === 'ENOENT' ? 'check the path' : code === 'EISDIR' ? 'pass a file, not a folder' : undefined,
    });
  }
  const head = buffer.byteLength >= 4 ? new TextDecoder().decode(await buffer.slice(0, 4)) : '';
  if (head !== MAGIC) {
    throw new DataFormatError('the file is not parquet: it does not start with "PAR1"', {
      file,
      hint: 'give a .parquet file as the Hugging Face Hub ships it, or a JSONL file with a .jsonl or .jsonl.gz extension',
    });
  }
  try {
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (error) {
    throw new DataFormatError(`cannot read the parquet metadata: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: 'the file may be truncated: download it again',
    });
  }
}

/** Returns the top-level column names of parquet metadata. */
function topColumns(metadata: FileMetaData): string[] {
  return parquetSchema(metadata).children.map((child) => child.element.name);
}

/** Returns the top-level columns and the row count of a parquet file, reading only its metadata. */
export async function readParquetInfo(path: string, options: { file?: string } = {}): Promise<ParquetFileInfo> {
  const { metadata } = await openParquet(path, options.file ?? path);
  return { columns: topColumns(metadata), rows: Number(metadata.num_rows) };
}

/**
 * Yields the rows of a parquet file as `{ line, value }` — `line` the 1-based row number, so errors of
 * a row read `file:row` like a JSONL line — decoding one row group (or `batchRows` rows) at a time with
 * hyparquet (snappy, gzip, zstd, brotli and lz4 pages). INT64 values become numbers. Errors are
 * DataFormatErrors naming the file (and the column or row range when known).
 */
export async function* readParquetRows(path: string, options: ReadParquetRowsOptions = {}): AsyncGenerator<JsonlLine<Record<string, unknown>>> {
  const file = options.file ?? path;
  const batchRows = options.batchRows ?? Number.POSITIVE_INFINITY;
  const { buffer, metadata } = await openParquet(path, file);
  const available = topColumns(metadata);
  const columns = options.columns ? [...options.columns] : undefined;
  const missing = (columns ?? []).filter((column) => !available.includes(column));
  if (missing.length > 0) {
    throw new DataFormatError(`the file has no column ${missing.map((name) => `"${name}"`).join(', ')}; its columns are ${available.join(', ')}`, {
      file,
      field: missing[0],
      hint: 'check that the file is of the format asked for',
    });
  }
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    for (let rowStart = groupStart; rowStart < groupEnd; rowStart += batchRows) {
      const rowEnd = Math.min(groupEnd, rowStart + batchRows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, compressors, ...(columns ? { columns } : {}) });
      } catch (error) {
        throw new DataFormatError(`cannot decode rows ${rowStart + 1}..${rowEnd}: ${(error as Error).message}`, {
          file,
          line: rowStart + 1,
          cause: error,
          hint: 'the file may be corrupt or use an unsupported encoding',
        });
      }
      for (const [index, row] of rows.entries()) {
        const line = rowStart + index + 1;
        const value: Record<string, unknown> = {};
        for (const [key, inner] of Object.entries(row)) value[key] = plainValue(inner, { file, line }, key);
        yield { line, value };
      }
    }
    groupStart = groupEnd;
  }
}
