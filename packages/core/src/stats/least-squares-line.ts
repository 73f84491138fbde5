import { ShapeError } from '../errors';

/** A line y ≈ intercept + slope · x, with the means of the values it was fitted on. */
export interface LeastSquaresLine {
  readonly slope: number;
  readonly intercept: number;
  readonly meanX: number;
  readonly meanY: number;
}

/**
 * Returns the least-squares line of `y` on `x` (paired values): the length baseline of the attribute
 * predictor, `steerlm apm eval` and the APM benchmarks. The slope is 0 when `x` does not vary (or there
 * are no pairs, when every field is 0). Throws a ShapeError when the two differ in length.
 */
export function fitLeastSquaresLine(x: ArrayLike<number>, y: ArrayLike<number>): LeastSquaresLine {
  if (x.length !== y.length) throw new ShapeError(`fitLeastSquaresLine got ${x.length} x values and ${y.length} y values`);
  const count = x.length;
  if (count === 0) return { slope: 0, intercept: 0, meanX: 0, meanY: 0 };
  let sumX = 0;
  let sumY = 0;
  for (let index = 0; index < count; index++) {
    sumX += x[index]!;
    sumY += y[index]!;
  }
  const meanX = sumX / count;
  const meanY = sumY / count;
  let covariance = 0;
  let variance = 0;
  for (let index = 0; index < count; index++) {
    const dx = x[index]! - meanX;
    covariance += dx * (y[index]! - meanY);
    variance += dx * dx;
  }
  // A constant x leaves rounding noise in the variance, not a slope.
  const slope = variance > 1e-12 ? covariance / variance : 0;
  return { slope, intercept: meanY - slope * meanX, meanX, meanY };
}
