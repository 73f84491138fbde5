import { InvalidOptionError } from '@steerlm/core';

/** One prompt row of a logit mixture and its weight. */
export interface RowWeight {
  readonly row: number;
  readonly weight: number;
}

/**
 * Throws an InvalidOptionError unless `groups` puts each of the `rows` prompt rows in exactly one
 * non-empty group, with finite weights.
 */
export function validateRowGroups(groups: readonly (readonly RowWeight[])[], rows: number): void {
  const owner = new Array<number | undefined>(rows).fill(undefined);
  groups.forEach((group, index) => {
    if (group.length === 0) throw new InvalidOptionError(`row group ${index} is empty`, { option: 'groups' });
    for (const { row, weight } of group) {
      if (!Number.isInteger(row) || row < 0 || row >= rows) {
        throw new InvalidOptionError(`row group ${index} names row ${row}, outside the ${rows} prompts`, { option: 'groups' });
      }
      if (owner[row] !== undefined) throw new InvalidOptionError(`row ${row} is in row groups ${owner[row]} and ${index}`, { option: 'groups' });
      if (!Number.isFinite(weight))
        throw new InvalidOptionError(`row ${row} of row group ${index} has weight ${weight}; weights must be finite`, { option: 'groups' });
      owner[row] = index;
    }
  });
  const missing = owner.findIndex((group) => group === undefined);
  if (missing !== -1) throw new InvalidOptionError(`row ${missing} is in no row group`, { option: 'groups' });
}

/**
 * Returns one logits row per group: Σ weight · logits[row] over the group's rows, in logit space (summed
 * in float64). A group of one row of weight 1 returns that row itself, so unmixed decoding is unchanged
 * to the bit.
 */
export function mixLogitRows(logits: readonly Float32Array[], groups: readonly (readonly RowWeight[])[]): Float32Array[] {
  return groups.map((group) => {
    if (group.length === 1 && group[0]!.weight === 1) return logits[group[0]!.row]!;
    const width = logits[group[0]!.row]!.length;
    const mixed = new Float32Array(width);
    for (let index = 0; index < width; index++) {
      let sum = 0;
      for (const { row, weight } of group) sum += weight * logits[row]![index]!;
      mixed[index] = sum;
    }
    return mixed;
  });
}
