import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl } from '../data/jsonl-reader';
import { DataFormatError } from '../errors';
import './install-file-reader';
import { isGzipPath, readDataFileChunks } from './read-file-chunks';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-chunks-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function text(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

describe('readDataFileChunks', () => {
  it('decompresses a .gz file as it reads and reads other files as they are', async () => {
    const lines = Array.from({ length: 3000 }, (_, index) => JSON.stringify({ index, text: `row ${index} ${'x'.repeat(index % 97)}` })).join('\n');
    await writeFile(join(folder, 'rows.jsonl.gz'), gzipSync(lines));
    await writeFile(join(folder, 'rows.jsonl'), lines);
    expect(await text(readDataFileChunks(join(folder, 'rows.jsonl.gz')))).toBe(lines);
    expect(await text(readDataFileChunks(join(folder, 'rows.jsonl')))).toBe(lines);
    expect(isGzipPath('a.messages.jsonl.GZ')).toBe(true);
    expect(isGzipPath('a.jsonl')).toBe(false);
  });

  it('lets the JSONL readers take a .gz path, with line numbers of the decompressed text', async () => {
    await writeFile(join(folder, 'bad.jsonl.gz'), gzipSync('{"a":1}\n{"a":2}\n{"a":\n'));
    const values: unknown[] = [];
    const error = await (async () => {
      for await (const { value } of readJsonl(join(folder, 'bad.jsonl.gz'))) values.push(value);
    })().catch((caught: unknown) => caught);
    expect(values).toEqual([{ a: 1 }, { a: 2 }]);
    expect((error as DataFormatError).line).toBe(3);
    expect((error as DataFormatError).file).toBe(join(folder, 'bad.jsonl.gz'));
  });

  it('says a corrupt or truncated gzip file is one, naming the file', async () => {
    const whole = gzipSync('{"a":1}\n'.repeat(1000));
    await writeFile(join(folder, 'cut.jsonl.gz'), whole.subarray(0, whole.length - 30));
    await writeFile(join(folder, 'plain.jsonl.gz'), '{"a":1}\n');
    for (const name of ['cut.jsonl.gz', 'plain.jsonl.gz']) {
      const error = await text(readDataFileChunks(join(folder, name))).catch((caught: unknown) => caught);
      expect(DataFormatError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`${name}: the file is not valid gzip`));
    }
    await expect(text(readDataFileChunks(join(folder, 'absent.jsonl.gz')))).rejects.toThrow(/absent\.jsonl\.gz: cannot read the file.*check the path/);
  });
});
