import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { readJsonl, type JsonlLine } from './jsonl-reader';
import { recordError } from './record-location';

const encoder = new TextEncoder();
const MAX_LINE_BYTES = 200;

/** Line makers: valid records, records of the wrong type, truncated JSON, bad UTF-8, huge lines, random bytes. */
const lineBytes = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => encoder.encode(JSON.stringify({ id: 1, value }))),
  fc.jsonValue({ maxDepth: 2 }).map((value) => encoder.encode(JSON.stringify(value))),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([value, cut]) => {
    const text = encoder.encode(JSON.stringify({ id: 2, value }));
    return text.slice(0, cut % text.length);
  }),
  fc.tuple(fc.string(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf5, 0xff), fc.nat(20)).map(([text, bad, at]) => {
    const bytes = encoder.encode(JSON.stringify({ id: 3, text }));
    const position = Math.min(at, bytes.length);
    return new Uint8Array([...bytes.slice(0, position), bad, ...bytes.slice(position)]);
  }),
  fc.nat({ max: 3 * MAX_LINE_BYTES }).map((length) => encoder.encode(JSON.stringify({ id: 4, text: 'h'.repeat(length) }))),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(encoder.encode(''), encoder.encode('   '), encoder.encode('\ufeff{"id":5}')),
);

const fileArbitrary = fc.record({
  lines: fc.array(lineBytes, { maxLength: 25 }),
  endsWithNewline: fc.boolean(),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
});

/** Returns the file's bytes: lines joined with newlines. */
function join(lines: Uint8Array[], endsWithNewline: boolean): Uint8Array {
  const parts: number[] = [];
  lines.forEach((line, index) => {
    parts.push(...line);
    if (index < lines.length - 1 || endsWithNewline) parts.push(10);
  });
  return new Uint8Array(parts);
}

/** Returns the bytes cut into chunks whose sizes cycle through `sizes`. */
function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (let index = 0; offset < bytes.length; index += 1) {
    const size = sizes[index % sizes.length]!;
    chunks.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return chunks;
}

type Expected = { kind: 'record'; value: unknown } | { kind: 'blank' } | { kind: 'error' };

const requireObject = (value: unknown, location: { file?: string; line: number }) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw recordError(location, undefined, 'expected an object');
  return value;
};

/** An independent oracle of what each physical line must become. */
function expectedLines(bytes: Uint8Array): Expected[] {
  const segments: Uint8Array[] = [];
  let start = 0;
  for (let index = 0; index <= bytes.length; index += 1) {
    if (index === bytes.length || bytes[index] === 10) {
      segments.push(bytes.slice(start, index));
      start = index + 1;
    }
  }
  if (segments.length > 0 && segments[segments.length - 1]!.length === 0) segments.pop();
  return segments.map((segment, index): Expected => {
    if (segment.length > MAX_LINE_BYTES) return { kind: 'error' };
    let body = segment;
    if (index === 0 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.slice(3);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      return { kind: 'error' };
    }
    if (/^[ \t\r]*$/.test(text)) return { kind: 'blank' };
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'error' };
      return { kind: 'record', value };
    } catch {
      return { kind: 'error' };
    }
  });
}

describe('readJsonl under fuzzing', () => {
  it('in skip mode yields exactly the good lines and counts every other one: yielded + skipped + blank === lines', async () => {
    await fc.assert(
      fc.asyncProperty(fileArbitrary, async ({ lines, endsWithNewline, chunkSizes }) => {
        const bytes = join(lines, endsWithNewline);
        const expected = expectedLines(bytes);
        const reader = readJsonl(chunk(bytes, chunkSizes), { onError: 'skip', maxLineBytes: MAX_LINE_BYTES, validate: requireObject, file: 'fuzz.jsonl' });
        const records: JsonlLine<object>[] = [];
        for await (const record of reader) records.push(record);
        const { report } = reader;
        expect(report.lines).toBe(expected.length);
        expect(report.yielded + report.skipped + report.blank).toBe(report.lines);
        expect(report.yielded).toBe(records.length);
        const wanted = expected.flatMap((line, index) => (line.kind === 'record' ? [{ line: index + 1, value: line.value }] : []));
        expect(records).toEqual(wanted);
        expect(report.skipped).toBe(expected.filter((line) => line.kind === 'error').length);
        for (const error of report.firstErrors) {
          expect(DataFormatError.isInstance(error)).toBe(true);
          expect(error.file).toBe('fuzz.jsonl');
          expect(expected[error.line! - 1]!.kind).toBe('error');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('in throw mode either reads everything or throws a DataFormatError at the first bad line', async () => {
    await fc.assert(
      fc.asyncProperty(fileArbitrary, async ({ lines, endsWithNewline, chunkSizes }) => {
        const bytes = join(lines, endsWithNewline);
        const expected = expectedLines(bytes);
        const firstBad = expected.findIndex((line) => line.kind === 'error');
        let yielded = 0;
        try {
          for await (const _ of readJsonl(chunk(bytes, chunkSizes), { maxLineBytes: MAX_LINE_BYTES, validate: requireObject })) yielded += 1;
        } catch (error) {
          expect(DataFormatError.isInstance(error)).toBe(true);
          expect((error as DataFormatError).line).toBe(firstBad + 1);
          expect(yielded).toBe(expected.slice(0, firstBad).filter((line) => line.kind === 'record').length);
          return;
        }
        expect(firstBad).toBe(-1);
      }),
      { numRuns: 500 },
    );
  });
});
