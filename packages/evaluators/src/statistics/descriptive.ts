/** Returns the arithmetic mean of `values`, or NaN when there are none. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Returns the sample standard deviation (n − 1 denominator), or 0 for fewer than two values. */
export function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const center = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - center) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Returns the mean absolute difference between paired values. */
export function meanAbsoluteError(expected: readonly number[], actual: readonly number[]): number {
  assertPaired(expected, actual);
  if (expected.length === 0) return Number.NaN;
  let sum = 0;
  for (let index = 0; index < expected.length; index += 1) sum += Math.abs(expected[index]! - actual[index]!);
  return sum / expected.length;
}

/** Returns the q-quantile (0..1) of `values` with linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/** Throws a RangeError when two paired series differ in length. */
export function assertPaired(left: readonly number[], right: readonly number[]): void {
  if (left.length !== right.length) {
    throw new RangeError(`paired series differ in length: ${left.length} vs ${right.length}`);
  }
}
