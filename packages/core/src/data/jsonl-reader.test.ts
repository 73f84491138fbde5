import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError, InvalidOptionError } from '../errors';
import { readJsonl, type JsonlLine, type ReadJsonlOptions } from './jsonl-reader';
import { recordError } from './record-location';

const encoder = new TextEncoder();

async function collect<T>(source: Parameters<typeof readJsonl>[0], options: ReadJsonlOptions<T> = {}) {
  const reader = readJsonl<T>(source, options);
  const records: JsonlLine<T>[] = [];
  for await (const record of reader) records.push(record);
  return { records, report: reader.report };
}

async function errorOf(promise: Promise<unknown>): Promise<DataFormatError> {
  try {
    await promise;
  } catch (error) {
    expect(DataFormatError.isInstance(error)).toBe(true);
    return error as DataFormatError;
  }
  throw new Error('expected a DataFormatError');
}

/** Returns the bytes of `text` cut into chunks of `size` bytes. */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.slice(offset, offset + size));
  return chunks;
}

const folder = await mkdtemp(join(tmpdir(), 'steerlm-jsonl-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('readJsonl', () => {
  it('yields each line with its 1-based number, across chunk boundaries of any size', async () => {
    const text = '{"a":1}\n[2,"é"]\n"three"\n\n  \n{"big":"' + 'x'.repeat(300) + '"}\n';
    const bytes = encoder.encode(text);
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const { records, report } = await collect(chunked(bytes, size));
      expect(records.map((record) => record.line)).toEqual([1, 2, 3, 6]);
      expect(records[1]!.value).toEqual([2, 'é']);
      expect(report).toMatchObject({ lines: 6, yielded: 4, skipped: 0, blank: 2 });
    }
  });

  it('reads a file path, string chunks, CRLF line ends and a leading byte-order mark', async () => {
    const path = join(folder, 'bom.jsonl');
    await writeFile(path, '\ufeff{"a":1}\r\n{"b":2}\r\n');
    const fromFile = await collect(path);
    expect(fromFile.records.map((record) => record.value)).toEqual([{ a: 1 }, { b: 2 }]);
    const fromStrings = await collect(['{"a"', ':1}\n{"b":', '2}']);
    expect(fromStrings.records.map((record) => record.value)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('parses a last line without a newline and reports a truncated one as such', async () => {
    const { records } = await collect(['{"a":1}\n{"b":2}']);
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, value: { b: 2 } },
    ]);
    const error = await errorOf(collect(['{"a":1}\n{"b":'], { file: 'cut.jsonl' }));
    expect(error.file).toBe('cut.jsonl');
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/^cut\.jsonl:2: the last line has no trailing newline and line is not valid JSON/);
    expect(error.hint).toMatch(/truncated/);
  });

  it("locates invalid JSON with the parser's reason", async () => {
    const error = await errorOf(collect(['{"a":1}\n{"a":1,}\n'], { file: 'bad.jsonl' }));
    expect(error.line).toBe(2);
    expect(error.message).toContain('bad.jsonl:2: line is not valid JSON (');
    expect(error.message).toContain('it starts "{\\"a\\":1,}"');
  });

  it('locates invalid UTF-8 by line and byte', async () => {
    const bytes = new Uint8Array([...encoder.encode('{"a":1}\n"ab'), 0xc3, 0x28, ...encoder.encode('"\n')]);
    const error = await errorOf(collect([bytes]));
    expect(error.line).toBe(2);
    expect(error.message).toBe('line 2: line is not valid UTF-8: byte 0xc3 at byte offset 3 of the line (re-encode the file as UTF-8)');
  });

  it('rejects a line over maxLineBytes without buffering it, and goes on in skip mode', async () => {
    const long = `"${'y'.repeat(1000)}"`;
    const error = await errorOf(collect([`1\n${long}\n3\n`], { maxLineBytes: 100 }));
    expect(error.line).toBe(2);
    expect(error.message).toContain('longer than maxLineBytes (100 bytes)');
    const chunks = chunked(encoder.encode(`1\n${long}\n3\n${long}`), 16);
    const { records, report } = await collect(chunks, { maxLineBytes: 100, onError: 'skip' });
    expect(records.map((record) => record.value)).toEqual([1, 3]);
    expect(report).toMatchObject({ lines: 4, yielded: 2, skipped: 2, blank: 0 });
    expect(report.firstErrors.map((skipped) => skipped.line)).toEqual([2, 4]);
  });

  it('counts every line in skip mode and keeps the first ten errors', async () => {
    const lines = Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? `{"n":${index}}` : `{broken ${index}`));
    const skipped: number[] = [];
    const { records, report } = await collect([lines.join('\n')], { onError: 'skip', onSkip: (error) => skipped.push(error.line!) });
    expect(records).toHaveLength(15);
    expect(report).toMatchObject({ lines: 30, yielded: 15, skipped: 15, blank: 0 });
    expect(report.firstErrors).toHaveLength(10);
    expect(report.firstErrors[0]!.line).toBe(2);
    expect(skipped).toHaveLength(15);
  });

  it('runs a validator and treats its located errors like parse errors', async () => {
    const validate = (value: unknown, location: { file?: string; line: number }) => {
      if (typeof value !== 'number') throw recordError(location, 'value', 'expected a number');
      return value * 2;
    };
    const { records, report } = await collect(['1\n"x"\n3\n'], { validate, onError: 'skip', file: 'n.jsonl' });
    expect(records.map((record) => record.value)).toEqual([2, 6]);
    expect(report.firstErrors[0]!.message).toBe('n.jsonl:2, field "value": expected a number');
  });

  it('names a missing file and rejects bad options and a second iteration', async () => {
    const missing = join(folder, 'missing.jsonl');
    const error = await errorOf(collect(missing));
    expect(error.file).toBe(missing);
    expect(error.hint).toBe('check the path');
    expect(() => readJsonl(['1'], { maxLineBytes: 0 })).toThrow(InvalidOptionError);
    const reader = readJsonl(['1\n']);
    for await (const _ of reader) break;
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('streams a large file in bounded memory', async () => {
    const path = join(folder, 'large.jsonl');
    const line = JSON.stringify({ text: 'z'.repeat(1000) }) + '\n';
    await writeFile(path, line.repeat(20_000));
    const reader = readJsonl<{ text: string }>(path);
    let count = 0;
    for await (const record of reader) count += record.value.text.length === 1000 ? 1 : 0;
    expect(count).toBe(20_000);
  });
});
