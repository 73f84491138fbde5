import { DataFormatError } from '../errors';

/**
 * Returns the JSON text of one record without a newline; throws a DataFormatError when the value has no
 * JSON form (undefined, a function, a bigint, a cycle).
 */
export function toJsonlLine(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new DataFormatError(`the record cannot be written as JSON: ${(cause as Error).message}`, { cause, hint: 'records must be plain JSON data' });
  }
  if (text === undefined) {
    throw new DataFormatError(`the record cannot be written as JSON: got ${typeof value}`, { hint: 'records must be plain JSON data' });
  }
  return text;
}

/** Yields each value's JSONL line (with its newline): the writer-free form for browsers and streams. */
export async function* toJsonlChunks<T>(values: AsyncIterable<T> | Iterable<T>): AsyncGenerator<string> {
  for await (const value of values) yield `${toJsonlLine(value)}\n`;
}
