import { InvalidOptionError } from '@steerlm/core';
import { SeededRandom } from './seeded-random';

/** Row indices of a training part and a validation part that share no group. */
export interface GroupSplit {
  train: number[];
  validation: number[];
}

/**
 * Returns a seeded split of rows into train and validation by group (e.g. conversation tree id), so no
 * group has rows on both sides; groups are drawn in a seeded order until the validation part holds at
 * least `validationFraction` of the rows. Rows without a group form their own groups.
 */
export function splitRowsByGroup(groups: readonly (string | undefined)[], validationFraction: number, seed: number): GroupSplit {
  if (!Number.isFinite(validationFraction) || validationFraction < 0 || validationFraction >= 1) {
    throw new InvalidOptionError(`validationFraction must be in [0, 1), got ${validationFraction}`, { option: 'validationFraction' });
  }
  const rowsByGroup = new Map<string, number[]>();
  groups.forEach((group, row) => {
    const key = group === undefined ? `\u0000row:${row}` : `g:${group}`;
    const rows = rowsByGroup.get(key);
    if (rows) rows.push(row);
    else rowsByGroup.set(key, [row]);
  });
  const order = new SeededRandom(seed).shuffle([...rowsByGroup.keys()].sort());
  const wanted = Math.round(groups.length * validationFraction);
  const validation: number[] = [];
  const train: number[] = [];
  for (const key of order) {
    const rows = rowsByGroup.get(key)!;
    if (validation.length < wanted && order.length > 1) validation.push(...rows);
    else train.push(...rows);
  }
  if (train.length === 0 && validation.length > 0) train.push(...validation.splice(0));
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}
