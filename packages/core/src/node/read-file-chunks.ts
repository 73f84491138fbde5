import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataFormatError } from '../errors';

/** The size of the chunks a file is read in. */
const FILE_CHUNK_BYTES = 1 << 20;

/** Returns the hint for a file-system error code, when there is one. */
function readHint(code: string | undefined): string | undefined {
  return code === 'ENOENT' ? 'check the path' : code === 'EISDIR' ? 'pass a file, not a folder' : undefined;
}

/** Yields the bytes of a file chunk by chunk; a read failure is a DataFormatError naming the file. */
export async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new DataFormatError(`cannot read the file: ${(error as Error).message}`, { file: path, cause: error, hint: readHint(code) });
  } finally {
    stream.destroy();
  }
}

/** Returns whether a path names a gzip file (`.gz`, any case), which data readers decompress as they read. */
export function isGzipPath(path: string): boolean {
  return /\.gz$/i.test(path);
}

/**
 * Yields the bytes of a data file chunk by chunk, decompressing a `.gz` file (oasst1's
 * `*.messages.jsonl.gz`, HelpSteer's `*.jsonl.gz`) as a stream: memory stays bounded whatever the size.
 * A corrupt or truncated gzip file is a DataFormatError naming the file. This is how the readers of
 * `@steerlm/core` read file paths under Node.
 */
export async function* readDataFileChunks(path: string): AsyncGenerator<Uint8Array> {
  if (!isGzipPath(path)) {
    yield* readFileChunks(path);
    return;
  }
  const file = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  let readError: unknown;
  file.on('error', (error) => {
    readError = error;
    gunzip.destroy(error);
  });
  file.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    if (readError !== undefined) {
      const code = (readError as { code?: string }).code;
      throw new DataFormatError(`cannot read the file: ${(readError as Error).message}`, { file: path, cause: readError, hint: readHint(code) });
    }
    throw new DataFormatError(`the file is not valid gzip: ${(error as Error).message}`, {
      file: path,
      cause: error,
      hint: 'the file may be truncated or not compressed: download it again, or drop the .gz extension if it is plain text',
    });
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}
