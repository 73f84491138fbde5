/** Returns the Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(left: readonly number[], right: readonly number[]): number {
  const count = left.length;
  if (count < 2) return Number.NaN;
  const meanLeft = left.reduce((sum, value) => sum + value, 0) / count;
  const meanRight = right.reduce((sum, value) => sum + value, 0) / count;
  let covariance = 0;
  let varianceLeft = 0;
  let varianceRight = 0;
  for (let index = 0; index < count; index += 1) {
    const a = left[index]! - meanLeft;
    const b = right[index]! - meanRight;
    covariance += a * b;
    varianceLeft += a * a;
    varianceRight += b * b;
  }
  return varianceLeft === 0 || varianceRight === 0 ? Number.NaN : covariance / Math.sqrt(varianceLeft * varianceRight);
}

/** Returns the 1-based ranks of the values, ties sharing their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let position = start; position <= end; position += 1) ranks[order[position]!.index] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Returns the Spearman rank correlation (Pearson of average ranks). */
export function spearman(left: readonly number[], right: readonly number[]): number {
  return pearson(averageRanks(left), averageRanks(right));
}

/** The figures of one predictor on one attribute. */
export interface AttributeMetrics {
  rows: number;
  mae: number;
  pearson: number;
  spearman: number;
  exactAccuracy: number;
}

/** Returns MAE of the rounded predictions, Pearson and Spearman of the continuous ones, and exact-bin accuracy. */
export function attributeMetrics(truth: readonly number[], continuous: readonly number[], rounded: readonly number[]): AttributeMetrics {
  const rows = truth.length;
  let absolute = 0;
  let exact = 0;
  for (let index = 0; index < rows; index += 1) {
    absolute += Math.abs(rounded[index]! - truth[index]!);
    if (rounded[index] === truth[index]) exact += 1;
  }
  return { rows, mae: absolute / rows, pearson: pearson(continuous, truth), spearman: spearman(continuous, truth), exactAccuracy: exact / rows };
}
