import { DataFormatError } from '../errors';

/**
 * Where JSONL text comes from: a file path (Node only), or any (async) iterable of byte or string
 * chunks — a `ReadableStream` from `fetch`, a Node stream, or `[text]` for text already in memory.
 * A plain string is always a path; wrap in-memory text in an array.
 */
export type JsonlSource = string | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** The size of the chunks a file is read in. */
const FILE_CHUNK_BYTES = 1 << 20;

const encoder = new TextEncoder();

/** Returns the bytes of a chunk: string chunks are encoded as UTF-8. */
function toBytes(chunk: Uint8Array | string, file: string | undefined): Uint8Array {
  if (typeof chunk === 'string') return encoder.encode(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  throw new DataFormatError(`a source chunk must be a Uint8Array or a string, got ${describeType(chunk)}`, {
    file,
    hint: 'pass a file path, a stream of bytes, or an array of strings',
  });
}

/** Returns a short description of a value's type for error messages: `null`, `array`, `number`, …. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Yields the bytes of a file chunk by chunk; loads node:fs lazily so browsers can bundle this module. */
async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  const fs = await import('node:fs');
  const stream = fs.createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
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

/** Returns an async iterable of the source's bytes, chunk by chunk. */
export async function* readByteChunks(source: JsonlSource, file?: string): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    yield* readFileChunks(source);
    return;
  }
  if (source === null || typeof source !== 'object' || (!(Symbol.asyncIterator in source) && !(Symbol.iterator in source))) {
    throw new DataFormatError(`a JSONL source must be a file path or an iterable of chunks, got ${describeType(source)}`, {
      file,
      hint: 'to read text already in memory, pass it as [text]',
    });
  }
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) yield toBytes(chunk, file);
}
