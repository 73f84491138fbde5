import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors';
import { readParquetInfo, readParquetRows } from './parquet-rows';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-parquet-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Writes a HelpSteer-shaped parquet file (INT64 ratings, as pandas writes them) in row groups of `rowGroupSize`. */
async function helpSteerParquet(name: string, rows: number, rowGroupSize = 2): Promise<string> {
  const path = join(folder, name);
  const index = Array.from({ length: rows }, (_, row) => row);
  const buffer = parquetWriteBuffer({
    rowGroupSize,
    columnData: [
      { name: 'prompt', data: index.map((row) => `prompt ${row} ✓`), type: 'STRING' },
      { name: 'response', data: index.map((row) => `response ${row}`), type: 'STRING' },
      { name: 'helpfulness', data: index.map((row) => BigInt(row % 5)), type: 'INT64' },
    ],
  });
  await writeFile(path, new Uint8Array(buffer));
  return path;
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of rows) items.push(item);
  return items;
}

describe('readParquetRows', () => {
  it('yields every row of every row group in order, numbered from 1, INT64 as numbers', async () => {
    const path = await helpSteerParquet('five.parquet', 5);
    const rows = await collect(readParquetRows(path));
    expect(rows.map((row) => row.line)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[3]).toEqual({ line: 4, value: { prompt: 'prompt 3 ✓', response: 'response 3', helpfulness: 3 } });
    expect(await readParquetInfo(path)).toEqual({ columns: ['prompt', 'response', 'helpfulness'], rows: 5 });
  });

  it('reads only the columns asked for, in windows of batchRows', async () => {
    const path = await helpSteerParquet('seven.parquet', 7, 4);
    const rows = await collect(readParquetRows(path, { columns: ['helpfulness'], batchRows: 3 }));
    expect(rows.map((row) => row.value)).toEqual([0, 1, 2, 3, 4, 0, 1].map((helpfulness) => ({ helpfulness })));
  });

  it('names the columns a file has when one asked for is missing', async () => {
    const path = await helpSteerParquet('missing.parquet', 2);
    const error = await collect(readParquetRows(path, { columns: ['prompt', 'verbosity'] })).catch((caught: unknown) => caught);
    expect(DataFormatError.isInstance(error)).toBe(true);
    expect((error as DataFormatError).file).toBe(path);
    expect((error as DataFormatError).field).toBe('verbosity');
    expect((error as Error).message).toContain('its columns are prompt, response, helpfulness');
  });

  it('says a file that is not parquet is not, and a truncated one may be truncated', async () => {
    const text = join(folder, 'rows.parquet');
    await writeFile(text, '{"prompt": "a"}\n');
    await expect(collect(readParquetRows(text))).rejects.toThrow(/rows\.parquet: the file is not parquet/);
    const whole = await helpSteerParquet('whole.parquet', 3);
    const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(whole));
    const cut = join(folder, 'cut.parquet');
    await writeFile(cut, bytes.subarray(0, bytes.length - 20));
    await expect(collect(readParquetRows(cut))).rejects.toThrow(/cut\.parquet: .*(truncated|corrupt)/);
    await expect(collect(readParquetRows(join(folder, 'absent.parquet')))).rejects.toThrow(/cannot read the file.*check the path/);
  });
});
