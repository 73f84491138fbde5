import { assertPaired } from './descriptive';

/** Returns the 1-based ranks of `values`, ties sharing the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((left, right) => left.value - right.value);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end += 1;
    const shared = (start + end) / 2 + 1;
    for (let position = start; position <= end; position += 1) ranks[order[position]!.index] = shared;
    start = end + 1;
  }
  return ranks;
}

/** Returns Pearson's correlation of paired values, or null when either series is constant or too short. */
export function pearsonCorrelation(left: readonly number[], right: readonly number[]): number | null {
  assertPaired(left, right);
  const count = left.length;
  if (count < 2) return null;
  let leftMean = 0;
  let rightMean = 0;
  for (let index = 0; index < count; index += 1) {
    leftMean += left[index]!;
    rightMean += right[index]!;
  }
  leftMean /= count;
  rightMean /= count;
  let covariance = 0;
  let leftSquares = 0;
  let rightSquares = 0;
  for (let index = 0; index < count; index += 1) {
    const leftDeviation = left[index]! - leftMean;
    const rightDeviation = right[index]! - rightMean;
    covariance += leftDeviation * rightDeviation;
    leftSquares += leftDeviation ** 2;
    rightSquares += rightDeviation ** 2;
  }
  if (leftSquares === 0 || rightSquares === 0) return null;
  return covariance / Math.sqrt(leftSquares * rightSquares);
}

/**
 * Returns Spearman's rank correlation (Pearson on average ranks, so ties are handled), or null
 * when either series is constant — a constant series has no ordering to agree with.
 */
export function spearmanCorrelation(left: readonly number[], right: readonly number[]): number | null {
  assertPaired(left, right);
  return pearsonCorrelation(averageRanks(left), averageRanks(right));
}
