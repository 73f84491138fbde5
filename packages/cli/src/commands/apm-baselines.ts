import { clampToScale, fitLeastSquaresLine } from '@steerlm/core';
import { quantile } from '@steerlm/evaluators';

/** The MAE of the two trivial predictors a useful attribute model must beat, on the same labels. */
export interface BaselineErrors {
  /** Always predicting the labels' median (the best constant for MAE: a strict bar). */
  readonly constant: number;
  /**
   * A least-squares line on log(1 + response characters), fit on these labels, clamped to the scale: the
   * lower MAE of its values and of its values rounded to the bins (a strict bar either way).
   */
  readonly length: number;
}

/**
 * Returns the MAE of the constant and the length baselines on `labels` (paired with the responses'
 * `lengths` in characters). Both are fit on the labels they are scored on, so they are optimistic: a
 * model that does not beat them has learnt nothing a constant or the response length would not give.
 */
export function baselineErrors(labels: readonly number[], lengths: readonly number[], scale: { min: number; max: number }): BaselineErrors {
  const count = labels.length;
  if (count === 0) return { constant: Number.NaN, length: Number.NaN };
  const median = quantile(labels, 0.5);
  const constant = labels.reduce((sum, label) => sum + Math.abs(label - median), 0) / count;
  const xs = lengths.map((length) => Math.log1p(length));
  const { meanX, meanY, slope } = fitLeastSquaresLine(xs, labels);
  const predict = (x: number): number => Math.min(scale.max, Math.max(scale.min, meanY + slope * (x - meanX)));
  const continuous = xs.reduce((sum, x, index) => sum + Math.abs(predict(x) - labels[index]!), 0) / count;
  const binned = xs.reduce((sum, x, index) => sum + Math.abs(clampToScale(predict(x), scale) - labels[index]!), 0) / count;
  const length = Math.min(continuous, binned);
  return { constant, length };
}
