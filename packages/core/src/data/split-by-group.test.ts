import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors';
import { groupHash, partitionByGroup, splitByGroup, splitOfGroup, type SplitName } from './split-by-group';

interface Thread {
  treeId: string;
  leafId: string;
}

/** 600 trees of 1 to 4 threads each, their threads interleaved as a stream would deliver them. */
const threads: Thread[] = [];
for (let round = 0; round < 4; round += 1) {
  for (let tree = 0; tree < 600; tree += 1) if (tree % 4 >= round) threads.push({ treeId: `tree-${tree}`, leafId: `leaf-${tree}-${round}` });
}
const key = (thread: Thread) => thread.treeId;

describe('splitByGroup', () => {
  it('never puts a group in both parts and sends about the requested share to validation', () => {
    const { train, validation } = partitionByGroup(threads, { key, validationFraction: 0.2, seed: 7 });
    expect(train.length + validation.length).toBe(threads.length);
    const trainTrees = new Set(train.map(key));
    const validationTrees = new Set(validation.map(key));
    expect([...validationTrees].filter((tree) => trainTrees.has(tree))).toEqual([]);
    expect(validationTrees.size / 600).toBeGreaterThan(0.15);
    expect(validationTrees.size / 600).toBeLessThan(0.25);
  });

  it('is deterministic for a seed, differs across seeds, and streams the same split', async () => {
    const first = partitionByGroup(threads, { key, validationFraction: 0.3, seed: 1 });
    expect(partitionByGroup(threads, { key, validationFraction: 0.3, seed: 1 })).toEqual(first);
    const other = partitionByGroup(threads, { key, validationFraction: 0.3, seed: 2 });
    expect(other.validation.map(key)).not.toEqual(first.validation.map(key));
    async function* stream() {
      yield* threads;
    }
    const streamed: Record<SplitName, Thread[]> = { train: [], validation: [] };
    for await (const { split, item } of splitByGroup(stream(), { key, validationFraction: 0.3, seed: 1 })) streamed[split].push(item);
    expect(streamed).toEqual(first);
    expect(splitOfGroup('tree-0', { validationFraction: 0.3, seed: 1 })).toBe(
      first.validation.some((thread) => thread.treeId === 'tree-0') ? 'validation' : 'train',
    );
  });

  it('hashes to fixed values, so splits survive across runs and machines', () => {
    expect(groupHash('tree-1')).toBe(groupHash('tree-1', 0));
    expect(groupHash('')).toBe(0.37069325695158317);
    expect(groupHash('3aeb9373-da93-4858-84f4-5e398fe9e131', 42)).toBe(0.9386882898551012);
    expect(partitionByGroup(threads, { key, validationFraction: 0, seed: 3 }).validation).toEqual([]);
    expect(partitionByGroup(threads, { key, validationFraction: 1, seed: 3 }).train).toEqual([]);
  });

  it('rejects a bad fraction, seed or key', () => {
    expect(() => partitionByGroup(threads, { key, validationFraction: 1.5 })).toThrow(InvalidOptionError);
    expect(() => partitionByGroup(threads, { key, validationFraction: Number.NaN })).toThrow(/validationFraction/);
    expect(() => partitionByGroup(threads, { key, validationFraction: 0.1, seed: 0.5 })).toThrow(/seed must be an integer/);
    expect(() => partitionByGroup(threads, { key: () => 3 as unknown as string, validationFraction: 0.1 })).toThrow(/string group id/);
  });
});
