import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEERLM } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitDataFile, type SplitDataOptions } from './split-data-file';
import { parseSplitSizes } from './split-sizes';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let folder: string;
let input: string;
/** Tree sizes of the synthetic dataset: 120 trees of 1 to 6 threads. */
const treeSizes = Array.from({ length: 120 }, (_, tree) => 1 + ((tree * 7) % 6));

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-split-'));
  input = join(folder, 'nemo.jsonl');
  const records = treeSizes.flatMap((size, tree) =>
    Array.from({ length: size }, (_, thread) => ({
      system: '',
      mask: 'User',
      type: 'VALUE_TO_TEXT',
      conversations: [
        { from: 'User', value: `question ${tree}`, label: null },
        { from: 'Assistant', value: `answer ${thread}${'!'.repeat(thread)}`, label: 'quality:4' },
      ],
      tree_id: `tree-${tree}`,
    })),
  );
  await writeFile(input, records.map((record) => JSON.stringify(record)).join('\n') + '\n');
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function records(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function split(name: string, sizes: string, options: Partial<SplitDataOptions> = {}) {
  const sized = parseSplitSizes(sizes);
  return splitDataFile({
    input,
    format: 'nemo',
    outputs: {
      train: join(folder, name, 'train.jsonl'),
      validation: join(folder, name, 'validation.jsonl'),
      ...(sized.test ? { test: join(folder, name, 'test.jsonl') } : {}),
    },
    sizes: sized,
    seed: 0,
    schema: STEERLM,
    ...options,
  });
}

const total = treeSizes.reduce((sum, size) => sum + size, 0);

describe('splitDataFile', () => {
  it('keeps every tree in one part, every record once and unchanged, with the sizes asked to within one tree', async () => {
    const summary = await split('fractions', '0.8,0.1,0.1');
    const parts = await Promise.all(['train', 'validation', 'test'].map((part) => records(join(folder, 'fractions', `${part}.jsonl`))));
    const trees = parts.map((part) => new Set(part.map((record) => record['tree_id'])));
    expect([...trees[0]!].filter((tree) => trees[1]!.has(tree) || trees[2]!.has(tree))).toEqual([]);
    expect([...trees[1]!].filter((tree) => trees[2]!.has(tree))).toEqual([]);
    expect(parts.flat()).toHaveLength(total);
    expect(new Set(parts.flat().map((record) => JSON.stringify(record))).size).toBe(total);
    expect(summary.records).toBe(total);
    expect(summary.groups).toBe(120);
    expect(summary.unused).toBe(0);
    for (const [index, part] of (['validation', 'test'] as const).entries()) {
      expect(Math.abs(parts[index + 1]!.length - Math.round(0.1 * total))).toBeLessThanOrEqual(6);
      expect(summary.parts[part]!.records).toBe(parts[index + 1]!.length);
    }
  });

  it('gives the same split for the same seed and another for another seed', async () => {
    await split('seed-a', '0.8,0.2');
    await split('seed-b', '0.8,0.2');
    await split('seed-c', '0.8,0.2', { seed: 1 });
    const validation = async (name: string) => await readFile(join(folder, name, 'validation.jsonl'), 'utf8');
    expect(await validation('seed-b')).toBe(await validation('seed-a'));
    expect(await validation('seed-c')).not.toBe(await validation('seed-a'));
  });

  it('meets counts, and leaves out what the sizes do not ask for', async () => {
    const summary = await split('counts', '100,20');
    expect(Math.abs(summary.parts.train!.records - 100)).toBeLessThanOrEqual(6);
    expect(Math.abs(summary.parts.validation!.records - 20)).toBeLessThanOrEqual(6);
    expect(summary.unused).toBe(total - summary.parts.train!.records - summary.parts.validation!.records);
    expect(await records(join(folder, 'counts', 'train.jsonl'))).toHaveLength(summary.parts.train!.records);
  });

  it('keeps the responses to one prompt together when records have no tree (HelpSteer2)', async () => {
    const summary = await splitDataFile({
      input: join(fixtures, 'helpsteer2.jsonl'),
      format: 'helpsteer2',
      outputs: { train: join(folder, 'hs', 'train.jsonl'), validation: join(folder, 'hs', 'validation.jsonl') },
      sizes: parseSplitSizes('0.5,0.5'),
      seed: 0,
      schema: STEERLM,
    });
    expect(summary.groups).toBe(3);
    const prompts = async (part: string) => (await records(join(folder, 'hs', `${part}.jsonl`))).map((row) => row['prompt']);
    const train = await prompts('train');
    const validation = await prompts('validation');
    expect(train.length + validation.length).toBe(6);
    expect(train.filter((prompt) => validation.includes(prompt))).toEqual([]);
  });

  it('stops at a bad record before writing any part, naming its line', async () => {
    const bad = join(folder, 'bad.jsonl');
    await writeFile(bad, `${(await readFile(input, 'utf8')).split('\n').slice(0, 5).join('\n')}\n{"system": "", "mask": "User"}\n`);
    await expect(
      splitDataFile({
        input: bad,
        format: 'nemo',
        outputs: { train: join(folder, 'bad', 'train.jsonl') },
        sizes: parseSplitSizes('rest,0'),
        seed: 0,
        schema: STEERLM,
      }),
    ).rejects.toThrow(/bad\.jsonl:6, field "type"/);
    await expect(readFile(join(folder, 'bad', 'train.jsonl'))).rejects.toThrow();
  });
});
