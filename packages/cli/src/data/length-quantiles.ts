/** The spread of a list of lengths. */
export interface LengthQuantiles {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Returns the q-quantile of sorted values (nearest rank: an actual length, never between two). */
function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Returns the count, mean and nearest-rank quantiles of `values` (all 0 when empty). */
export function lengthQuantiles(values: readonly number[]): LengthQuantiles {
  if (values.length === 0) return { count: 0, mean: 0, min: 0, p25: 0, p50: 0, p75: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  let sum = 0;
  for (const value of list) sum += value;
  return {
    count: list.length,
    mean: sum / list.length,
    min: list[0]!,
    p25: nearestRank(list, 0.25),
    p50: nearestRank(list, 0.5),
    p75: nearestRank(list, 0.75),
    p90: nearestRank(list, 0.9),
    p99: nearestRank(list, 0.99),
    max: list[list.length - 1]!,
  };
}
