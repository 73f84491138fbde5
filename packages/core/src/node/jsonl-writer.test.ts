import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { toJsonlChunks, toJsonlLine } from '../data/jsonl-line';
import { readJsonl } from '../data/jsonl-reader';
import { openJsonlWriter, writeJsonl } from './jsonl-writer';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-jsonl-writer-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function readAll(path: string): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const record of readJsonl(path)) values.push(record.value);
  return values;
}

describe('JSONL writers', () => {
  it('writes records that read back identically, text with newlines and unicode included', async () => {
    const path = join(folder, 'round-trip.jsonl');
    const values = [{ text: 'two\nlines\u2028and é 😀' }, [1, 2.5, null], 'plain', 0];
    expect(await writeJsonl(path, values)).toBe(4);
    expect(await readAll(path)).toEqual(values);
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(5);
  });

  it('puts each record into the file as soon as write resolves, in call order', async () => {
    const path = join(folder, 'flush.jsonl');
    const writer = await openJsonlWriter<{ n: number }>(path, { append: false });
    await writer.write({ n: 1 });
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n');
    await Promise.all([writer.write({ n: 2 }), writer.write({ n: 3 }), writer.write({ n: 4 })]);
    expect(writer.written).toBe(4);
    await writer.close();
    expect(await readAll(path)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    await expect(writer.write({ n: 5 })).rejects.toThrow(/closed/);
  });

  it('appends, cutting off an interrupted last record and keeping a complete one', async () => {
    const path = join(folder, 'append.jsonl');
    await writeFile(path, '{"n":1}\n{"n":2,"te');
    const writer = await openJsonlWriter(path);
    expect(writer.repair).toEqual({ kind: 'truncated', bytes: 10 });
    await writer.write({ n: 3 });
    await writer.close();
    expect(await readAll(path)).toEqual([{ n: 1 }, { n: 3 }]);

    await writeFile(path, '{"n":1}');
    const again = await openJsonlWriter(path);
    expect(again.repair).toEqual({ kind: 'newline-added' });
    await again.write({ n: 2 });
    await again.close();
    expect(await readAll(path)).toEqual([{ n: 1 }, { n: 2 }]);

    const clean = await openJsonlWriter(path, { sync: true });
    expect(clean.repair).toEqual({ kind: 'none' });
    await clean.write({ n: 3 });
    await clean.close();
    expect(await readAll(path)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('rejects values without a JSON form and keeps writing afterwards', async () => {
    expect(() => toJsonlLine(undefined)).toThrow(DataFormatError);
    expect(() => toJsonlLine(10n)).toThrow(/cannot be written as JSON/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toJsonlLine(cyclic)).toThrow(DataFormatError);
    const path = join(folder, 'reject.jsonl');
    const writer = await openJsonlWriter<unknown>(path, { append: false });
    await expect(writer.write(undefined)).rejects.toThrow(DataFormatError);
    await writer.write({ ok: true });
    await writer.close();
    expect(await readAll(path)).toEqual([{ ok: true }]);
  });

  it('yields JSONL text chunks without a file', async () => {
    const chunks: string[] = [];
    for await (const text of toJsonlChunks([{ a: 1 }, 2])) chunks.push(text);
    expect(chunks).toEqual(['{"a":1}\n', '2\n']);
  });
});
