import { ShapeError } from '@steerlm/core';

/** Per-column mean and standard deviation that map values to zero mean and unit variance. */
export interface Standardizer {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/**
 * Returns per-column mean and standard deviation of row-major `values` (rows × columns), counting only
 * entries whose `mask` is set when a mask is given. Constant or unobserved columns get std 1.
 */
export function fitStandardizer(values: Float32Array, columns: number, mask?: Uint8Array): Standardizer {
  if (columns <= 0 || values.length % columns !== 0) {
    throw new ShapeError(`cannot split ${values.length} values into rows of ${columns} columns`);
  }
  const rows = values.length / columns;
  const sum = new Float64Array(columns);
  const squares = new Float64Array(columns);
  const counts = new Float64Array(columns);
  for (let row = 0; row < rows; row += 1) {
    const offset = row * columns;
    for (let column = 0; column < columns; column += 1) {
      if (mask && !mask[offset + column]) continue;
      const value = values[offset + column]!;
      sum[column]! += value;
      squares[column]! += value * value;
      counts[column]! += 1;
    }
  }
  const mean = new Float32Array(columns);
  const std = new Float32Array(columns);
  for (let column = 0; column < columns; column += 1) {
    const count = counts[column]!;
    if (count === 0) {
      std[column] = 1;
      continue;
    }
    const average = sum[column]! / count;
    const variance = Math.max(0, squares[column]! / count - average * average);
    mean[column] = average;
    std[column] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean, std };
}

/** Returns a new row-major array with each column standardised: (value - mean) / std. */
export function standardize(values: Float32Array, standardizer: Standardizer): Float32Array {
  const columns = standardizer.mean.length;
  const result = new Float32Array(values.length);
  for (let index = 0; index < values.length; index += 1) {
    const column = index % columns;
    result[index] = (values[index]! - standardizer.mean[column]!) / standardizer.std[column]!;
  }
  return result;
}

/** Returns a new row-major array mapped back from standardised units: value * std + mean. */
export function unstandardize(values: Float32Array, standardizer: Standardizer): Float32Array {
  const columns = standardizer.mean.length;
  const result = new Float32Array(values.length);
  for (let index = 0; index < values.length; index += 1) {
    const column = index % columns;
    result[index] = values[index]! * standardizer.std[column]! + standardizer.mean[column]!;
  }
  return result;
}
