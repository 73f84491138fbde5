import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { openResumableJsonlWriter, partialPathOf } from './resumable-jsonl-writer';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-resumable-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

type Row = { id: string; n: number };
const keyOf = (row: Row) => row.id;
const rows = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('openResumableJsonlWriter', () => {
  it('appends after the keyed records already there, dropping a torn last line', async () => {
    const path = join(folder, 'keyed.jsonl');
    await writeFile(path, '{"id":"a","n":1}\n{"id":"b","n":2}\n{"id":"c","n"');
    const writer = await openResumableJsonlWriter<Row>(path, { keyOf });
    expect(writer.resumed).toBe(2);
    expect(writer.repair).toEqual({ kind: 'truncated', bytes: 13 });
    expect([writer.has('a'), writer.has('c')]).toEqual([true, false]);
    await writer.write({ id: 'c', n: 3 });
    await expect(writer.write({ id: 'a', n: 9 })).rejects.toThrow(DataFormatError);
    await writer.close();
    expect(await rows(path)).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'c', n: 3 },
    ]);
  });

  it('refuses a malformed line in the middle and a key written twice, naming the line', async () => {
    const broken = join(folder, 'broken.jsonl');
    await writeFile(broken, '{"id":"a","n":1}\nnot json\n{"id":"b","n":2}\n');
    await expect(openResumableJsonlWriter<Row>(broken, { keyOf })).rejects.toThrow(/broken\.jsonl:2: a malformed record in the middle/);
    const twice = join(folder, 'twice.jsonl');
    await writeFile(twice, '{"id":"a","n":1}\n{"id":"a","n":2}\n');
    await expect(openResumableJsonlWriter<Row>(twice, { keyOf })).rejects.toThrow(/twice\.jsonl:2: record "a" appears twice/);
  });

  it('staged: writes into the partial file and renames it over the output on commit only', async () => {
    const path = join(folder, 'staged.jsonl');
    const first = await openResumableJsonlWriter<Row>(path, { keyOf, staged: true });
    expect(first.writingPath).toBe(partialPathOf(path));
    await first.write({ id: 'a', n: 1 });
    await first.close(); // a killed run: the output does not exist, the partial file holds the work
    expect(await exists(path)).toBe(false);
    const seen: Row[] = [];
    const second = await openResumableJsonlWriter<Row>(path, { keyOf, staged: true, onExisting: (row) => seen.push(row) });
    expect(seen).toEqual([{ id: 'a', n: 1 }]);
    await second.write({ id: 'b', n: 2 });
    await second.commit();
    expect(await exists(partialPathOf(path))).toBe(false);
    expect(await rows(path)).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
  });

  it('staged: continues a finished output, or replaces it with continueFinished false', async () => {
    const path = join(folder, 'finished.jsonl');
    await writeFile(path, '{"id":"a","n":1}\n');
    const more = await openResumableJsonlWriter<Row>(path, { keyOf, staged: true });
    expect(more.resumed).toBe(1);
    await more.write({ id: 'b', n: 2 });
    await appendFile(path, ''); // the finished output is untouched until the commit
    expect(await rows(path)).toEqual([{ id: 'a', n: 1 }]);
    await more.commit();
    expect((await rows(path)).map((row) => row.id)).toEqual(['a', 'b']);
    const fresh = await openResumableJsonlWriter<Row>(path, { keyOf, staged: true, continueFinished: false });
    expect(fresh.resumed).toBe(0);
    await fresh.write({ id: 'z', n: 0 });
    await fresh.commit();
    expect(await rows(path)).toEqual([{ id: 'z', n: 0 }]);
  });
});
