import { createReadStream } from 'node:fs';
import { DataFormatError } from '../errors';

/** The size of the chunks a file is read in. */
const FILE_CHUNK_BYTES = 1 << 20;

/** Yields the bytes of a file chunk by chunk; a read failure is a DataFormatError naming the file. */
export async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new DataFormatError(`cannot read the file: ${(error as Error).message}`, {
      file: path,
      cause: error,
      hint: code === 'ENOENT' ? 'check the path' : code === 'EISDIR' ? 'pass a file, not a folder' : undefined,
    });
  } finally {
    stream.destroy();
  }
}
