import { InvalidOptionError } from '../errors';

/** The part of a split an item goes to. */
export type SplitName = 'train' | 'validation';

export interface GroupSplitOptions {
  /** The share of groups sent to validation, in [0, 1]. */
  validationFraction: number;
  /** Changes which groups go to validation; the same seed always gives the same split (default 0). */
  seed?: number;
}

export interface SplitByGroupOptions<T> extends GroupSplitOptions {
  /** Returns the group of an item, e.g. its conversation tree id; items of a group never straddle the split. */
  key: (item: T) => string;
}

/**
 * Returns a seeded 53-bit hash of `key` (cyrb53 over its UTF-16 code units) scaled to [0, 1): the same
 * on every platform and run.
 */
export function groupHash(key: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let index = 0; index < key.length; index += 1) {
    const code = key.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash / 2 ** 53;
}

function checkOptions(options: GroupSplitOptions): void {
  const { validationFraction, seed = 0 } = options;
  if (typeof validationFraction !== 'number' || !(validationFraction >= 0 && validationFraction <= 1)) {
    throw new InvalidOptionError(`validationFraction must be a number in [0, 1], got ${String(validationFraction)}`, { option: 'validationFraction' });
  }
  if (!Number.isSafeInteger(seed)) throw new InvalidOptionError(`seed must be an integer, got ${String(seed)}`, { option: 'seed' });
}

function keyOf<T>(item: T, key: (item: T) => string): string {
  const group = key(item);
  if (typeof group !== 'string') {
    throw new InvalidOptionError(`the key function must return a string group id, got ${typeof group}`, {
      option: 'key',
      hint: 'return e.g. the conversation tree id',
    });
  }
  return group;
}

/**
 * Returns the split of a group: validation when its seeded hash falls below `validationFraction`. Each
 * group is decided alone, so the validation share is `validationFraction` on average, not exactly.
 */
export function splitOfGroup(group: string, options: GroupSplitOptions): SplitName {
  checkOptions(options);
  return groupHash(group, options.seed ?? 0) < options.validationFraction ? 'validation' : 'train';
}

/** Yields each item with its split, in input order, in constant memory: a group's items all get the same split. */
export async function* splitByGroup<T>(items: AsyncIterable<T> | Iterable<T>, options: SplitByGroupOptions<T>): AsyncGenerator<{ split: SplitName; item: T }> {
  checkOptions(options);
  const seed = options.seed ?? 0;
  for await (const item of items) {
    yield { split: groupHash(keyOf(item, options.key), seed) < options.validationFraction ? 'validation' : 'train', item };
  }
}

/** Returns the items partitioned into train and validation by group (the in-memory form of splitByGroup). */
export function partitionByGroup<T>(items: Iterable<T>, options: SplitByGroupOptions<T>): { train: T[]; validation: T[] } {
  checkOptions(options);
  const seed = options.seed ?? 0;
  const train: T[] = [];
  const validation: T[] = [];
  for (const item of items) (groupHash(keyOf(item, options.key), seed) < options.validationFraction ? validation : train).push(item);
  return { train, validation };
}
