import { InvalidOptionError } from '@steerlm/core';

/** The parts a split writes, in the order --sizes names them. */
export const SPLIT_PARTS = Object.freeze(['train', 'validation', 'test'] as const);
export type SplitPart = (typeof SPLIT_PARTS)[number];

/** One part's size: a share of the records, a number of records, or every record the other parts leave. */
export type SplitSize = { readonly fraction: number } | { readonly count: number } | { readonly rest: true };

/**
 * Parses --sizes: train,validation[,test], each a fraction (0.9,0.05,0.05; the shares may sum to less
 * than 1 to sample; when they sum to 1, train takes what the others leave) or a count of records
 * (10000,500,500); `rest` gives a part what the others leave. Fractions and counts are not mixed.
 */
export function parseSplitSizes(text: string): Partial<Record<SplitPart, SplitSize>> {
  const parts = text.split(',').map((part) => part.trim());
  const fail = (why: string) =>
    new InvalidOptionError(`--sizes ${JSON.stringify(text)}: ${why}`, {
      option: 'sizes',
      hint: 'give train,validation[,test] as fractions (0.9,0.05,0.05), counts of records (10000,500,500), or rest for one part (rest,500,500)',
    });
  if (parts.length < 2 || parts.length > 3) throw fail(`expected 2 or 3 sizes, got ${parts.length}`);
  const sizes: Partial<Record<SplitPart, SplitSize>> = {};
  let kind: 'fraction' | 'count' | undefined;
  let rests = 0;
  let fractionSum = 0;
  parts.forEach((part, index) => {
    const name = SPLIT_PARTS[index]!;
    if (part === 'rest') {
      rests += 1;
      sizes[name] = { rest: true };
      return;
    }
    const value = Number(part);
    if (part === '' || !Number.isFinite(value) || value < 0) throw fail(`the ${name} size ${JSON.stringify(part)} is not a number of 0 or more`);
    const partKind = Number.isInteger(value) && value >= 1 ? 'count' : 'fraction';
    if (partKind === 'fraction' && value > 1) throw fail(`the ${name} size ${value} is neither a fraction (0..1) nor a whole count`);
    if (kind !== undefined && kind !== partKind && !(value === 0 || value === 1)) throw fail('do not mix fractions and counts');
    kind ??= partKind;
    if (partKind === 'fraction' || kind === 'fraction') {
      sizes[name] = { fraction: value };
      fractionSum += value;
    } else sizes[name] = { count: value };
  });
  if (rests > 1) throw fail('only one part can be rest');
  if (kind === 'fraction' && fractionSum > 1 + 1e-9) throw fail(`the fractions sum to ${Number(fractionSum.toFixed(6))}, more than 1`);
  // Fractions that sum to 1 leave nothing out: train takes what the others leave (rounding, whole groups).
  if (kind === 'fraction' && rests === 0 && Math.abs(fractionSum - 1) <= 1e-9) sizes.train = { rest: true };
  return sizes;
}

/** Returns the number of records each part should get out of `total`; a count larger than what is left is an error. */
export function splitTargets(sizes: Partial<Record<SplitPart, SplitSize>>, total: number): Partial<Record<SplitPart, number>> {
  const targets: Partial<Record<SplitPart, number>> = {};
  let used = 0;
  for (const part of SPLIT_PARTS) {
    const size = sizes[part];
    if (size === undefined || 'rest' in size) continue;
    targets[part] = 'fraction' in size ? Math.round(size.fraction * total) : size.count;
    used += targets[part];
  }
  if (used > total) {
    throw new InvalidOptionError(`--sizes asks for ${used} records, but the input has ${total}`, { option: 'sizes', hint: 'ask for fewer, or give fractions' });
  }
  for (const part of SPLIT_PARTS) if (sizes[part] !== undefined && 'rest' in sizes[part]) targets[part] = total - used;
  return targets;
}
