import { InvalidOptionError, ShapeError, TrainingError } from '@steerlm/core';
import type { FeatureBlock } from './block-scaled-ridge';
import type { HeadDataset } from './train-head';
import { RegressionHead } from './regression-head';

/** Returns the lower Cholesky factor of a symmetric positive definite n × n matrix (row-major), or undefined. */
export function cholesky(matrix: Float64Array, size: number): Float64Array | undefined {
  const lower = new Float64Array(size * size);
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column <= row; column += 1) {
      let sum = matrix[row * size + column]!;
      for (let inner = 0; inner < column; inner += 1) sum -= lower[row * size + inner]! * lower[column * size + inner]!;
      if (row === column) {
        if (sum <= 0) return undefined;
        lower[row * size + row] = Math.sqrt(sum);
      } else {
        lower[row * size + column] = sum / lower[column * size + column]!;
      }
    }
  }
  return lower;
}

/** Returns x solving (L Lᵀ) x = b for a Cholesky factor L. */
export function choleskySolve(lower: Float64Array, size: number, right: Float64Array): Float64Array {
  const middle = new Float64Array(size);
  for (let row = 0; row < size; row += 1) {
    let sum = right[row]!;
    for (let inner = 0; inner < row; inner += 1) sum -= lower[row * size + inner]! * middle[inner]!;
    middle[row] = sum / lower[row * size + row]!;
  }
  const result = new Float64Array(size);
  for (let row = size - 1; row >= 0; row -= 1) {
    let sum = middle[row]!;
    for (let inner = row + 1; inner < size; inner += 1) sum -= lower[inner * size + row]! * result[inner]!;
    result[row] = sum / lower[row * size + row]!;
  }
  return result;
}

/** One attribute's rows: centred features of its observed rows, its centred targets and the means. */
interface ColumnProblem {
  rows: number[];
  centred: Float64Array;
  targets: Float64Array;
  featureMean: Float64Array;
  targetMean: number;
}

/** Centred problems and Gram matrices by dataset, so fitting several penalties on one dataset reuses them. */
const cache = new WeakMap<
  HeadDataset,
  { inputDimension: number; problems: Map<string, ColumnProblem>; grams: Map<string, Float64Array>; blockGrams: Map<string, Float64Array> }
>();

/**
 * Returns the exact minimiser of masked MSE plus an L2 penalty (ridge regression) as a linear head: for
 * each output, the weights minimise Σ_observed (y - xᵀw - b)² + alpha·|w|² with an unpenalised bias,
 * solved in the primal (features ≤ rows) or dual (kernel) form by Cholesky. `alphas` gives one penalty per
 * output. Rows whose output is masked never enter that output's fit. With `scaling`, output j's features in
 * `scaling.block` are multiplied by `scaling.scales[j]` (s) for the fit, so their penalty is alpha / s², and
 * their weights by s after it, so the head takes the unscaled features (see fitBlockScaledRidgeHead). The
 * Gram matrix of a row set is computed once for every scale.
 */
export function fitRidgeHead(
  data: HeadDataset,
  inputDimension: number,
  outputDimension: number,
  alphas: readonly number[],
  scaling?: { readonly block: FeatureBlock; readonly scales: readonly number[] },
): RegressionHead {
  if (alphas.length !== outputDimension) throw new ShapeError(`fitRidgeHead needs ${outputDimension} penalties, got ${alphas.length}`);
  for (const alpha of alphas)
    if (!Number.isFinite(alpha) || alpha <= 0) throw new InvalidOptionError(`ridge penalties must be positive, got ${alpha}`, { option: 'ridgeAlphas' });
  if (data.features.length !== data.rows * inputDimension) throw new ShapeError(`ridge rows do not match ${data.rows} × ${inputDimension} features`);
  const head = RegressionHead.create({ inputDimension, outputDimension, hiddenUnits: 0 });
  const weight = head.parameters['head.weight']!.data;
  const bias = head.parameters['head.bias']!.data;
  let cached = cache.get(data);
  if (!cached || cached.inputDimension !== inputDimension) {
    cached = { inputDimension, problems: new Map(), grams: new Map(), blockGrams: new Map() };
    cache.set(data, cached);
  }
  const { problems, grams, blockGrams } = cached;
  const blockStart = scaling?.block.start ?? 0;
  const blockEnd = blockStart + (scaling?.block.width ?? 0);
  for (let output = 0; output < outputDimension; output += 1) {
    const rows: number[] = [];
    for (let row = 0; row < data.rows; row += 1) if (data.mask[row * outputDimension + output]) rows.push(row);
    if (rows.length === 0) continue;
    const key = rows.join(',');
    let problem = problems.get(key);
    if (!problem) {
      const featureMean = new Float64Array(inputDimension);
      for (const row of rows) for (let inner = 0; inner < inputDimension; inner += 1) featureMean[inner]! += data.features[row * inputDimension + inner]!;
      for (let inner = 0; inner < inputDimension; inner += 1) featureMean[inner]! /= rows.length;
      const centred = new Float64Array(rows.length * inputDimension);
      rows.forEach((row, index) => {
        for (let inner = 0; inner < inputDimension; inner += 1)
          centred[index * inputDimension + inner] = data.features[row * inputDimension + inner]! - featureMean[inner]!;
      });
      problem = { rows, centred, targets: new Float64Array(rows.length), featureMean, targetMean: 0 };
      problems.set(key, problem);
      const dual = rows.length <= inputDimension;
      const size = dual ? rows.length : inputDimension;
      const gram = new Float64Array(size * size);
      if (dual) {
        for (let left = 0; left < rows.length; left += 1) {
          for (let right = 0; right <= left; right += 1) {
            let sum = 0;
            for (let inner = 0; inner < inputDimension; inner += 1) sum += centred[left * inputDimension + inner]! * centred[right * inputDimension + inner]!;
            gram[left * size + right] = sum;
            gram[right * size + left] = sum;
          }
        }
      } else {
        for (let index = 0; index < rows.length; index += 1) {
          const offset = index * inputDimension;
          for (let left = 0; left < inputDimension; left += 1) {
            const value = centred[offset + left]!;
            if (value === 0) continue;
            for (let right = 0; right <= left; right += 1) gram[left * size + right]! += value * centred[offset + right]!;
          }
        }
        for (let left = 0; left < size; left += 1) for (let right = 0; right < left; right += 1) gram[right * size + left] = gram[left * size + right]!;
      }
      grams.set(key, gram);
    }
    const gram = grams.get(key)!;
    const dual = rows.length <= inputDimension;
    const size = dual ? rows.length : inputDimension;
    const scale = scaling?.scales[output] ?? 1;
    // The factor of each feature in the fit: `scale` in the block, else 1.
    const factor = (inner: number) => (inner >= blockStart && inner < blockEnd ? scale : 1);
    let targetMean = 0;
    for (const row of rows) targetMean += data.targets[row * outputDimension + output]!;
    targetMean /= rows.length;
    const targets = new Float64Array(rows.length);
    rows.forEach((row, index) => {
      targets[index] = data.targets[row * outputDimension + output]! - targetMean;
    });
    const system = Float64Array.from(gram);
    if (scale !== 1 && dual) {
      // Inner products of scaled rows: the unscaled ones plus (s² − 1) times the block's.
      let blockGram = blockGrams.get(key);
      if (!blockGram) {
        blockGram = new Float64Array(size * size);
        for (let left = 0; left < size; left += 1) {
          for (let right = 0; right <= left; right += 1) {
            let sum = 0;
            for (let inner = blockStart; inner < blockEnd; inner += 1)
              sum += problem.centred[left * inputDimension + inner]! * problem.centred[right * inputDimension + inner]!;
            blockGram[left * size + right] = sum;
            blockGram[right * size + left] = sum;
          }
        }
        blockGrams.set(key, blockGram);
      }
      for (let index = 0; index < system.length; index += 1) system[index]! += (scale * scale - 1) * blockGram[index]!;
    } else if (scale !== 1) {
      for (let left = 0; left < size; left += 1) for (let right = 0; right < size; right += 1) system[left * size + right]! *= factor(left) * factor(right);
    }
    for (let index = 0; index < size; index += 1) system[index * size + index]! += alphas[output]!;
    const lower = cholesky(system, size);
    if (!lower) throw new TrainingError(`the ridge system of output ${output} is not positive definite`, { hint: 'use a larger ridge penalty' });
    let columnWeights: Float64Array;
    if (dual) {
      const coefficients = choleskySolve(lower, size, targets);
      columnWeights = new Float64Array(inputDimension);
      for (let index = 0; index < rows.length; index += 1) {
        const coefficient = coefficients[index]!;
        for (let inner = 0; inner < inputDimension; inner += 1) columnWeights[inner]! += coefficient * problem.centred[index * inputDimension + inner]!;
      }
    } else {
      const right = new Float64Array(inputDimension);
      for (let index = 0; index < rows.length; index += 1) {
        for (let inner = 0; inner < inputDimension; inner += 1) right[inner]! += problem.centred[index * inputDimension + inner]! * targets[index]!;
      }
      if (scale !== 1) for (let inner = blockStart; inner < blockEnd; inner += 1) right[inner]! *= scale;
      columnWeights = choleskySolve(lower, size, right);
    }
    // The weights of the scaled features, times the scale: weights of the unscaled ones (dual: Σ c·x·s, times s).
    if (scale !== 1) for (let inner = blockStart; inner < blockEnd; inner += 1) columnWeights[inner]! *= dual ? scale * scale : scale;
    let offset = targetMean;
    for (let inner = 0; inner < inputDimension; inner += 1) {
      weight[inner * outputDimension + output] = columnWeights[inner]!;
      offset -= columnWeights[inner]! * problem.featureMean[inner]!;
    }
    bias[output] = offset;
  }
  return head;
}
