/**
 * The map from a head's prediction to the predicted bin of an attribute, for mean absolute error. A
 * regression head fitted by least squares predicts conditional means, but the predicted bin is judged by
 * MAE, which the conditional median minimises: on a skewed attribute (toxicity: mostly 0) the rounded mean
 * loses to the constant median. Per attribute, the map `intercept + slope · score` (then rounded) is chosen on held-out scores (the
 * head's predictions for rows it was not fitted on) by the MAE of its rounded, clamped predictions, over
 * a grid of slopes that includes 0 (the constant median) and intercepts around the median of
 * `label − slope · score` (the continuous MAE optimum for that slope). It departs from the constant only
 * as far as the scores carry signal.
 */

/**
 * The slopes tried, in units of the full-scale slope std(labels) / std(scores) (the one that gives the
 * scores the labels' spread; least squares never goes beyond it): 0 (the constant median) to 2 in steps
 * of 0.05. Relative, because a strongly penalised head squeezes its predictions.
 */
export const CALIBRATION_SLOPES: readonly number[] = Object.freeze(Array.from({ length: 41 }, (_, index) => index * 0.05));

/** The intercept offsets tried around the median residual: −0.5 to 0.5 in steps of 0.05 (rounding moves the optimum). */
const INTERCEPT_OFFSETS: readonly number[] = Object.freeze(Array.from({ length: 21 }, (_, index) => (index - 10) * 0.05));

/** Fewest held-out labels an attribute needs to be calibrated; with fewer, its map stays the identity. */
export const MIN_CALIBRATION_ROWS = 10;

/**
 * How many standard errors the MAE gain of a map (uncalibrated − calibrated, on the held-out rows it was
 * fitted on) must reach for `calibrate: 'auto'` to use it; below that the bins stay the rounded values.
 * The map is chosen on those same rows, so a gain within its standard error is mostly the fit's own
 * optimism (on 90 rows one row's bin moved by one is 0.011).
 */
export const CALIBRATION_STANDARD_ERRORS = 1;

/** Returns whether `calibration` lowers the held-out MAE it was fitted on by more than `standardErrors` standard errors of that gain. */
export function calibrationPays(
  calibration: Pick<MaeCalibration, 'mae' | 'uncalibratedMae' | 'gainStandardError'>,
  standardErrors: number = CALIBRATION_STANDARD_ERRORS,
): boolean {
  const gain = calibration.uncalibratedMae - calibration.mae;
  return gain > 0 && gain > standardErrors * calibration.gainStandardError;
}

/** One attribute's output map and what it measured on the held-out rows. */
export interface MaeCalibration {
  /** The factor on the head's prediction (0: the attribute is predicted as a constant). */
  readonly slope: number;
  /** The value added after scaling, on the attribute's scale. */
  readonly intercept: number;
  /** Held-out labels the map was chosen on. */
  readonly rows: number;
  /** MAE of the calibrated predictions (rounded to the scale) on those rows. */
  readonly mae: number;
  /** MAE of the uncalibrated head (rounded to the scale) on those rows. */
  readonly uncalibratedMae: number;
  /** The standard error of `uncalibratedMae − mae`, from the rows' paired differences of absolute error (0 for the identity). */
  readonly gainStandardError: number;
}

/** Returns the median of `values` (the mean of the two middle values for an even count; NaN when empty). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return Number.NaN;
  const middle = count >> 1;
  return count % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function standardDeviation(values: ArrayLike<number>): number {
  let sum = 0;
  for (let index = 0; index < values.length; index += 1) sum += values[index]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let index = 0; index < values.length; index += 1) squares += (values[index]! - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

/** Returns the MAE of `predictions` rounded by `round` against `labels`. */
export function roundedMeanAbsoluteError(predictions: ArrayLike<number>, labels: ArrayLike<number>, round: (value: number) => number): number {
  let sum = 0;
  for (let index = 0; index < labels.length; index += 1) sum += Math.abs(round(predictions[index]!) - labels[index]!);
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/**
 * Returns the map `intercept + slope · score` whose predictions, rounded by `round` (to the attribute's
 * bins), have the lowest MAE against the held-out `labels` given the head's `scores` for them, over
 * `slopes` (relative to the full-scale slope, see CALIBRATION_SLOPES) and intercepts. Ties go
 * to the smaller slope, so with no signal the map is the constant median. With fewer than
 * MIN_CALIBRATION_ROWS labels, the identity map.
 */
export function fitMaeCalibration(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  round: (value: number) => number,
  slopes: readonly number[] = CALIBRATION_SLOPES,
): MaeCalibration {
  const rows = labels.length;
  const uncalibratedMae = roundedMeanAbsoluteError(scores, labels, round);
  if (rows < MIN_CALIBRATION_ROWS) return { slope: 1, intercept: 0, rows, mae: uncalibratedMae, uncalibratedMae, gainStandardError: 0 };
  const residuals = new Float64Array(rows);
  const predictions = new Float64Array(rows);
  const fullScale = standardDeviation(labels) / standardDeviation(scores);
  const scale = Number.isFinite(fullScale) && fullScale > 0 ? fullScale : 0;
  let best: Omit<MaeCalibration, 'gainStandardError'> | undefined;
  for (const slope of [...new Set(slopes.map((relative) => relative * scale))].sort((left, right) => left - right)) {
    for (let index = 0; index < rows; index += 1) residuals[index] = labels[index]! - slope * scores[index]!;
    const centre = median(residuals);
    // The median first: among equal errors the plain MAE optimum wins.
    for (const offset of [0, ...INTERCEPT_OFFSETS.filter((value) => value !== 0)]) {
      const intercept = centre + offset;
      for (let index = 0; index < rows; index += 1) predictions[index] = intercept + slope * scores[index]!;
      const mae = roundedMeanAbsoluteError(predictions, labels, round);
      if (!best || mae < best.mae - 1e-12) best = { slope, intercept, rows, mae, uncalibratedMae };
    }
  }
  const chosen = best!;
  return { ...chosen, gainStandardError: pairedStandardError(scores, labels, round, chosen) };
}

/** The standard error of the mean of |round(score) − label| − |round(intercept + slope · score) − label| over the rows. */
function pairedStandardError(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  round: (value: number) => number,
  map: { readonly slope: number; readonly intercept: number },
): number {
  const rows = labels.length;
  let sum = 0;
  let squares = 0;
  for (let index = 0; index < rows; index += 1) {
    const difference = Math.abs(round(scores[index]!) - labels[index]!) - Math.abs(round(map.intercept + map.slope * scores[index]!) - labels[index]!);
    sum += difference;
    squares += difference * difference;
  }
  const mean = sum / rows;
  const variance = rows > 1 ? Math.max(0, squares / rows - mean * mean) * (rows / (rows - 1)) : 0;
  return Math.sqrt(variance / rows);
}
