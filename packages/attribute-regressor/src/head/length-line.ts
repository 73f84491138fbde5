/**
 * The length line: per output, the least-squares line of the target on one feature, log(1 + response
 * characters) (see LengthFeaturizer). It is the baseline `steerlm apm eval` prints beside the model, and
 * the attribute predictor keeps it for an attribute where its head does not beat it on held-out rows: on
 * oasst1 quality, thousands of n-gram weights fitted on ≈ 700 rows add variance and no signal beyond length.
 * A line is a linear head with one weight, so a chosen line is saved as the head's column (same format).
 */
import { fitLeastSquaresLine, ShapeError } from '@steerlm/core';
import { RegressionHead } from './regression-head';
import type { HeadDataset } from './train-head';

/** One output's line: `intercept + slope · feature` (the units of the dataset it was fitted on). */
export interface LengthLine {
  readonly slope: number;
  readonly intercept: number;
}

/** Returns per output the least-squares line of the observed targets on column `feature` over `rows` (all rows by default; slope 0 when the feature is constant there). */
export function fitLengthLines(data: HeadDataset, inputs: number, outputs: number, feature: number, rows?: readonly number[]): LengthLine[] {
  const chosen = rows ?? Array.from({ length: data.rows }, (_, row) => row);
  return Array.from({ length: outputs }, (_, output) => {
    const x: number[] = [];
    const y: number[] = [];
    for (const row of chosen) {
      if (!data.mask[row * outputs + output]) continue;
      x.push(data.features[row * inputs + feature]!);
      y.push(data.targets[row * outputs + output]!);
    }
    const { slope, intercept } = fitLeastSquaresLine(x, y);
    return { slope, intercept };
  });
}

/**
 * Returns each row's line predictions (row-major rows × outputs) by the lines fitted without the row's
 * test fold, over `testFolds` (the head's cross-validation folds); NaN for rows in no fold.
 */
export function lengthLinesOutOfFold(
  data: HeadDataset,
  inputs: number,
  outputs: number,
  feature: number,
  testFolds: readonly (readonly number[])[],
): Float32Array {
  const predictions = new Float32Array(data.rows * outputs).fill(Number.NaN);
  for (const testRows of testFolds) {
    const held = new Set(testRows);
    const lines = fitLengthLines(
      data,
      inputs,
      outputs,
      feature,
      Array.from({ length: data.rows }, (_, row) => row).filter((row) => !held.has(row)),
    );
    for (const row of testRows)
      lines.forEach((line, output) => {
        predictions[row * outputs + output] = line.intercept + line.slope * data.features[row * inputs + feature]!;
      });
  }
  return predictions;
}

/** Returns the lines' predictions (row-major rows × outputs) for `rows` feature vectors. */
export function predictLengthLines(lines: readonly LengthLine[], features: Float32Array, rows: number, inputs: number, feature: number): Float32Array {
  const outputs = lines.length;
  const predictions = new Float32Array(rows * outputs);
  for (let row = 0; row < rows; row += 1)
    lines.forEach((line, output) => {
      predictions[row * outputs + output] = line.intercept + line.slope * features[row * inputs + feature]!;
    });
  return predictions;
}

/**
 * Returns a copy of the linear `head` whose output columns marked in `replace` are the lines: weight
 * `slope` on `feature`, 0 on every other feature, bias `intercept`. The other columns are kept.
 */
export function withLengthLines(head: RegressionHead, lines: readonly LengthLine[], replace: readonly boolean[], feature: number): RegressionHead {
  const { inputDimension: inputs, outputDimension: outputs, hiddenUnits } = head.config;
  if (hiddenUnits !== 0) throw new ShapeError(`withLengthLines needs a linear head, got ${hiddenUnits} hidden units`);
  const weight = Float32Array.from(head.parameters['head.weight']!.data);
  const bias = Float32Array.from(head.parameters['head.bias']!.data);
  replace.forEach((use, output) => {
    if (!use) return;
    for (let inner = 0; inner < inputs; inner += 1) weight[inner * outputs + output] = 0;
    weight[feature * outputs + output] = lines[output]!.slope;
    bias[output] = lines[output]!.intercept;
  });
  return RegressionHead.fromParameters(head.config, {
    'head.weight': { data: weight, shape: [inputs, outputs] },
    'head.bias': { data: bias, shape: [outputs] },
  });
}
