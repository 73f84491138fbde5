import { InvalidOptionError, partitionByGroup } from '@steerlm/core';

/** The group key of a row without a group: a group of its own. */
export function rowGroup(groups: readonly (string | undefined)[] | undefined, row: number): string {
  return groups?.[row] ?? `\u0000row:${row}`;
}

/**
 * Returns row indices split by group with core's seeded `partitionByGroup` (rows without a group are
 * groups of their own); when every row lands on one side, all rows train and none validate.
 */
export function splitRows(
  groups: readonly (string | undefined)[] | undefined,
  rows: number,
  validationFraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  if (!Number.isFinite(validationFraction) || validationFraction < 0 || validationFraction >= 1) {
    throw new InvalidOptionError(`validationFraction must be in [0, 1), got ${validationFraction}`, { option: 'validationFraction' });
  }
  const indices = Array.from({ length: rows }, (_, index) => index);
  const split = partitionByGroup(indices, { key: (index) => rowGroup(groups, index), validationFraction, seed });
  if (split.train.length === 0) return { train: indices, validation: [] };
  return split;
}
