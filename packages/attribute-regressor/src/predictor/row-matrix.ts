// Row-major matrices of features, targets and masks: picking rows, and stacking vectors into one.
import type { HeadDataset } from '../head/train-head';

/** Returns the rows `rows` of a row-major matrix `width` values wide (a copy of the same type). */
export function gather(source: Float32Array | Uint8Array, rows: readonly number[], width: number): Float32Array | Uint8Array {
  const result = source instanceof Uint8Array ? new Uint8Array(rows.length * width) : new Float32Array(rows.length * width);
  rows.forEach((row, index) => result.set(source.subarray(row * width, (row + 1) * width), index * width));
  return result;
}

/** Returns the rows of a dataset (row-major copies). */
export function subset(data: HeadDataset, rows: readonly number[], inputs: number, outputs: number): HeadDataset {
  return {
    features: gather(data.features, rows, inputs) as Float32Array,
    targets: gather(data.targets, rows, outputs) as Float32Array,
    mask: gather(data.mask, rows, outputs) as Uint8Array,
    rows: rows.length,
  };
}

/** Returns the vectors as one row-major matrix. */
export function flatten(vectors: readonly Float32Array[], width: number): Float32Array {
  const result = new Float32Array(vectors.length * width);
  vectors.forEach((vector, index) => result.set(vector, index * width));
  return result;
}
