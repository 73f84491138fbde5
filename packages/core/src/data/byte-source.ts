import { DataFormatError } from '../errors';

/**
 * Where JSONL text comes from: a file path (Node only), or any (async) iterable of byte or string
 * chunks — a `ReadableStream` from `fetch`, a Node stream, or `[text]` for text already in memory.
 * A plain string is always a path (under Node, a path ending in `.gz` is decompressed as it is read);
 * wrap in-memory text in an array.
 */
export type JsonlSource = string | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

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

/** Reads a file chunk by chunk; installed by the Node entry points, absent in browser bundles. */
export type FileChunkReader = (path: string) => AsyncIterable<Uint8Array>;

let fileChunkReader: FileChunkReader | undefined;

/**
 * Installs how file paths are read. `@steerlm/core` under Node (and `@steerlm/core/node`) install
 * Node's file system; browser bundles install nothing, so they never reach a Node built-in.
 */
export function installFileChunkReader(reader: FileChunkReader): void {
  fileChunkReader = reader;
}

/** Returns an async iterable of the source's bytes, chunk by chunk. */
export async function* readByteChunks(source: JsonlSource, file?: string): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    if (!fileChunkReader) {
      throw new DataFormatError('a file path can be read only under Node', {
        file: source,
        hint: 'in a browser, pass the bytes instead: a fetch Response body, or [text] for text in memory',
      });
    }
    yield* fileChunkReader(source);
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
