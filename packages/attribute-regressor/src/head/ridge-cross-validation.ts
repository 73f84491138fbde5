import type { HeadDataset } from './train-head';
import { cholesky, choleskySolve } from './ridge-regression';

/**
 * Returns the summed squared error per penalty and output (`errors[penalty][output]`), the observed
 * count per output, and the out-of-fold predictions per penalty (`predictions[penalty]`, row-major rows ×
 * outputs; NaN where a row was never predicted) of ridge regression in cross-validation over the given
 * test folds. Works in kernel
 * space from one Gram matrix of all rows, centring it per training subset, so the cost is one
 * rows² × features product plus a Cholesky per fold, penalty and row set: exact, and far cheaper than
 * refitting in feature space when features outnumber rows. `gram` may give that matrix (rows × rows,
 * the features' inner products), computed by the caller.
 */
export function ridgeCrossValidationErrors(
  data: HeadDataset,
  inputDimension: number,
  outputDimension: number,
  testFolds: readonly number[][],
  alphas: readonly number[],
  gram: Float64Array = featureGram(data.features, data.rows, inputDimension, 0, inputDimension),
): { errors: Float64Array[]; counts: Float64Array; predictions: Float32Array[] } {
  const rows = data.rows;
  const errors = alphas.map(() => new Float64Array(outputDimension));
  const counts = new Float64Array(outputDimension);
  const predictions = alphas.map(() => new Float32Array(rows * outputDimension).fill(Number.NaN));
  for (const testRows of testFolds) {
    const held = new Set(testRows);
    // Outputs observed on the same training rows share the centred kernel and its factor per penalty.
    const factors = new Map<string, (Float64Array | undefined)[]>();
    for (let output = 0; output < outputDimension; output += 1) {
      const train: number[] = [];
      for (let row = 0; row < rows; row += 1) if (!held.has(row) && data.mask[row * outputDimension + output]) train.push(row);
      const test = testRows.filter((row) => data.mask[row * outputDimension + output]);
      if (train.length === 0 || test.length === 0) continue;
      counts[output]! += test.length;
      const size = train.length;
      // Row means of the Gram matrix over the training subset, for training and test rows, and the grand mean.
      const meanOver = (row: number) => train.reduce((sum, other) => sum + gram[row * rows + other]!, 0) / size;
      const trainMeans = train.map(meanOver);
      const testMeans = test.map(meanOver);
      const grand = trainMeans.reduce((sum, value) => sum + value, 0) / size;
      const centred = new Float64Array(size * size);
      for (let left = 0; left < size; left += 1) {
        for (let right = 0; right < size; right += 1) {
          centred[left * size + right] = gram[train[left]! * rows + train[right]!]! - trainMeans[left]! - trainMeans[right]! + grand;
        }
      }
      let targetMean = 0;
      for (const row of train) targetMean += data.targets[row * outputDimension + output]!;
      targetMean /= size;
      const targets = Float64Array.from(train, (row) => data.targets[row * outputDimension + output]! - targetMean);
      const key = train.join(',');
      let lowers = factors.get(key);
      if (!lowers) {
        lowers = alphas.map((alpha) => {
          const system = Float64Array.from(centred);
          for (let index = 0; index < size; index += 1) system[index * size + index]! += alpha;
          return cholesky(system, size);
        });
        factors.set(key, lowers);
      }
      alphas.forEach((_, candidate) => {
        const lower = lowers[candidate];
        if (!lower) {
          errors[candidate]![output] = Infinity;
          return;
        }
        const coefficients = choleskySolve(lower, size, targets);
        test.forEach((row, testIndex) => {
          let prediction = targetMean;
          for (let index = 0; index < size; index += 1) {
            const kernel = gram[row * rows + train[index]!]! - testMeans[testIndex]! - trainMeans[index]! + grand;
            prediction += coefficients[index]! * kernel;
          }
          errors[candidate]![output]! += (prediction - data.targets[row * outputDimension + output]!) ** 2;
          predictions[candidate]![row * outputDimension + output] = prediction;
        });
      });
    }
  }
  return { errors, counts, predictions };
}

/** Returns the rows × rows inner products of the row-major features' columns [start, end) (each row `inputDimension` wide). */
export function featureGram(features: Float32Array, rows: number, inputDimension: number, start: number, end: number): Float64Array {
  const gram = new Float64Array(rows * rows);
  for (let left = 0; left < rows; left += 1) {
    const leftOffset = left * inputDimension;
    for (let right = 0; right <= left; right += 1) {
      const rightOffset = right * inputDimension;
      let sum = 0;
      for (let inner = start; inner < end; inner += 1) sum += features[leftOffset + inner]! * features[rightOffset + inner]!;
      gram[left * rows + right] = sum;
      gram[right * rows + left] = sum;
    }
  }
  return gram;
}
