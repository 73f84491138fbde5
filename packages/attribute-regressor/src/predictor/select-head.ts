/**
 * Model selection for the attribute head: every candidate (the ridge head with per-attribute penalties
 * from grouped cross-validation, and each MLP width × weight decay with early stopping) is fitted on the
 * training rows and scored on the validation rows; the lowest validation loss wins and, with `refit`, is
 * fitted again on all rows.
 */
import { clampToScale, InvalidOptionError, ProgressTracker, type ProgressListener } from '@steerlm/core';
import type { RegressionHead } from '../head/regression-head';
import { fitBlockScaledRidgeHead, type FeatureBlock } from '../head/block-scaled-ridge';
import { calibrationPays, fitMaeCalibration, median, MIN_CALIBRATION_ROWS, roundedMeanAbsoluteError } from '../head/mae-calibration';
import { fitStandardizer, standardize, unstandardize, type Standardizer } from '../head/standardizer';
import { maskedMeanSquaredError } from '../head/masked-mse';
import { evaluateHead, trainRegressionHead, type HeadDataset } from '../head/train-head';
import { choosePenalties, crossValidationFolds } from './choose-penalties';
import { fitLengthLines, lengthLinesOutOfFold, predictLengthLines, withLengthLines, type LengthLine } from '../head/length-line';
import { lengthFeatureOf } from '../featurizers/featurizer-description';
import type { AttributePredictorTrainOptions, TrainingReport } from './predictor-types';
import { gather } from './row-matrix';
import { rowGroup } from './split-rows';
import { balanceBlocks, standardizeTargets } from './standardization';

/** An attribute's range (its bins are the integers in it). */
type AttributeRange = { readonly min: number; readonly max: number };

/** All rows of a training set, row-major: `inputs` features and `outputs` targets (with their mask) per row. */
export interface LabelledRows {
  readonly features: Float32Array;
  readonly targets: Float32Array;
  readonly mask: Uint8Array;
  readonly rows: number;
  readonly inputs: number;
  readonly outputs: number;
  /** Each row's group (rows without one are groups of their own). */
  readonly groups?: readonly (string | undefined)[] | undefined;
}

/** The candidates and training settings of a selection, resolved from the train options. */
export interface SelectionSettings {
  readonly hiddenUnits: readonly number[];
  readonly weightDecays: readonly number[];
  readonly ridgeAlphas: readonly number[];
  /** Candidate scales of the smallest feature block's features in the ridge head (see smallestBlock), chosen per output with the penalties. */
  readonly ridgeBlockScales: readonly number[];
  /** Folds of the ridge cross-validation (checked when the ridge candidate runs). */
  readonly folds: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly seed: number;
  readonly balanceBlocks: boolean;
  readonly refit: boolean;
  /** Per attribute bin calibration: every map (true), none (false), or each map only where it pays (see calibrationPays). */
  readonly calibrate: boolean | 'auto';
  /** With `lengthLine`, the index of the log(1 + response characters) feature whose least-squares line the ridge head must beat (see chooseLengthLine); undefined for none. */
  readonly lengthFeature: number | undefined;
}

function candidates(value: number | readonly number[] | undefined, fallback: readonly number[], option: string): number[] {
  const list = value === undefined ? [...fallback] : typeof value === 'number' ? [value] : [...value];
  if (list.length === 0) throw new InvalidOptionError(`${option} needs at least one value`, { option });
  return list;
}

/** The default ridge block scales: one penalty for every block (try e.g. [1, 4, 16, 64]; on oasst1 they changed no attribute by more than 0.007, docs/benchmarks.md). */
export const DEFAULT_RIDGE_BLOCK_SCALES: readonly number[] = Object.freeze([1]);

function blockScales(value: readonly number[] | undefined): number[] {
  const list = candidates(value, DEFAULT_RIDGE_BLOCK_SCALES, 'ridgeBlockScales');
  for (const scale of list)
    if (!Number.isFinite(scale) || scale <= 0)
      throw new InvalidOptionError(`ridgeBlockScales must be positive numbers, got ${scale}`, {
        option: 'ridgeBlockScales',
        hint: 'use [1] to give every block one penalty',
      });
  return list;
}

/**
 * Returns the block whose penalty the ridge head may lower: the narrowest of two or more feature blocks
 * (the last of equals), e.g. the 26 text statistics beside 6144 hashed n-grams; undefined for one block.
 */
export function smallestBlock(blocks: readonly number[]): FeatureBlock | undefined {
  if (blocks.length < 2) return undefined;
  let chosen = 0;
  blocks.forEach((width, index) => {
    if (width <= blocks[chosen]!) chosen = index;
  });
  return { start: blocks.slice(0, chosen).reduce((sum, width) => sum + width, 0), width: blocks[chosen]! };
}

function calibrateSetting(value: unknown): boolean | 'auto' {
  if (value === undefined) return 'auto';
  if (value === true || value === false || value === 'auto') return value;
  throw new InvalidOptionError(`calibrate must be true, false or 'auto', got ${JSON.stringify(value)}`, { option: 'calibrate' });
}

function lengthFeatureSetting(options: AttributePredictorTrainOptions): number | undefined {
  const value = options.lengthLine;
  if (value === undefined || value === false) return undefined;
  if (value === true) {
    const declared = lengthFeatureOf(options.featurizer);
    if (declared === undefined)
      throw new InvalidOptionError(`lengthLine: true needs a featurizer that declares its length feature; ${options.featurizer.id} does not`, {
        option: 'lengthLine',
        hint: 'use hashed-ngrams or text-statistics (alone or joined), or give the index of log(1 + response characters) in the vector',
      });
    return declared;
  }
  if (!Number.isSafeInteger(value) || value < 0 || value >= options.featurizer.dimension)
    throw new InvalidOptionError(`lengthLine must be true, false or a feature index in 0..${options.featurizer.dimension - 1}, got ${String(value)}`, {
      option: 'lengthLine',
      hint: 'give the index of log(1 + response characters) in the feature vector',
    });
  return value;
}

/** Returns the selection settings of `options`, with the defaults filled in (throws on an empty candidate list). */
export function resolveSelectionSettings(options: AttributePredictorTrainOptions): SelectionSettings {
  return {
    hiddenUnits: candidates(options.hiddenUnits, [0], 'hiddenUnits'),
    weightDecays: candidates(options.weightDecay, [0.01, 0.1, 1], 'weightDecay'),
    ridgeAlphas: candidates(options.ridgeAlphas, [1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4, 1e5], 'ridgeAlphas'),
    ridgeBlockScales: blockScales(options.ridgeBlockScales),
    folds: options.folds ?? 5,
    learningRate: options.learningRate ?? 1e-3,
    batchSize: options.batchSize ?? 32,
    maxEpochs: options.maxEpochs ?? 200,
    patience: options.patience ?? 20,
    seed: options.seed ?? 0,
    balanceBlocks: options.balanceBlocks ?? true,
    refit: options.refit ?? true,
    calibrate: calibrateSetting(options.calibrate),
    lengthFeature: lengthFeatureSetting(options),
  };
}

/** Returns how many candidates a selection with `settings` tries (one ridge head, or one MLP per weight decay). */
export function candidateCount(settings: SelectionSettings): number {
  return settings.hiddenUnits.reduce((sum, hidden) => sum + (hidden === 0 ? 1 : settings.weightDecays.length), 0);
}

/** The head a selection chose, with its normalisations and what the selection measured. */
export interface SelectedHead {
  readonly head: RegressionHead;
  readonly featureNormalisation: Standardizer;
  readonly targetNormalisation: Standardizer;
  readonly hiddenUnits: number;
  readonly weightDecay: number | undefined;
  /** The ridge penalty per output (ridge heads). */
  readonly ridgeAlphas: number[] | undefined;
  /** The scale of the smallest block's features per output (ridge heads over two or more blocks; see fitBlockScaledRidgeHead). */
  readonly ridgeBlockScales: number[] | undefined;
  readonly bestEpoch: number;
  readonly validationLoss: number | undefined;
  /** The validation loss of predicting the training part's mean of every attribute: the constant the head must beat. */
  readonly constantValidationLoss: number | undefined;
  readonly candidates: TrainingReport['candidates'];
  readonly crossValidationLoss: number | undefined;
  readonly refit: boolean;
  /**
   * Per output, the map from the head's prediction to the value rounded to a bin (see calibrateOutputs;
   * identity where not `applied`); undefined without validation rows or with `calibrate: false`.
   */
  readonly calibration: OutputCalibration[] | undefined;
}

type Candidate = {
  hiddenUnits: number;
  weightDecay?: number;
  alphas?: number[];
  scales?: number[];
  /** The ridge head's out-of-fold predictions on the training part (standardised). */
  outOfFold?: Float32Array | undefined;
  /** The length lines' out-of-fold predictions over the same folds (standardised; with a length feature). */
  lengthOutOfFold?: Float32Array | undefined;
  bestEpoch: number;
  validationLoss: number | undefined;
  head: RegressionHead;
};

/**
 * Returns the best head over `data` split into `split.train` and `split.validation` rows. `blocks` are
 * the featurizer's feature blocks (balanced when `settings.balanceBlocks`); `scales` are the outputs'
 * ranges (for the MAE of rounded predictions); each tried candidate is a step of `tracker`.
 */
export function selectHead(
  data: LabelledRows,
  split: { readonly train: readonly number[]; readonly validation: readonly number[] },
  blocks: readonly number[],
  scales: readonly AttributeRange[],
  settings: SelectionSettings,
  tracker: ProgressTracker,
  signal?: AbortSignal,
  onProgress?: ProgressListener,
): SelectedHead {
  const { features, targets, mask, inputs, outputs } = data;
  const trainOptions = {
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    maxEpochs: settings.maxEpochs,
    patience: settings.patience,
    seed: settings.seed,
  };
  const dataset = (rowIndices: readonly number[], featureNormalisation: Standardizer, targetNormalisation: Standardizer): HeadDataset => {
    const subsetMask = gather(mask, rowIndices, outputs) as Uint8Array;
    return {
      features: standardize(gather(features, rowIndices, inputs) as Float32Array, featureNormalisation),
      targets: standardizeTargets(gather(targets, rowIndices, outputs) as Float32Array, subsetMask, targetNormalisation),
      mask: subsetMask,
      rows: rowIndices.length,
    };
  };
  const tried: TrainingReport['candidates'] = [];
  let crossValidationLoss: number | undefined;
  let chosen: Candidate | undefined;
  const featureStandardizer = (values: Float32Array) =>
    settings.balanceBlocks ? balanceBlocks(fitStandardizer(values, inputs), blocks) : fitStandardizer(values, inputs);
  let featureNormalisation = featureStandardizer(gather(features, split.train, inputs) as Float32Array);
  let targetNormalisation = fitStandardizer(gather(targets, split.train, outputs) as Float32Array, outputs, gather(mask, split.train, outputs) as Uint8Array);
  const trainPart = dataset(split.train, featureNormalisation, targetNormalisation);
  const validationPart = split.validation.length > 0 ? dataset(split.validation, featureNormalisation, targetNormalisation) : undefined;
  const consider = (candidate: Candidate) => {
    tried.push({
      hiddenUnits: candidate.hiddenUnits,
      ...(candidate.weightDecay !== undefined ? { weightDecay: candidate.weightDecay } : {}),
      ...(candidate.alphas ? { ridgeAlphas: candidate.alphas } : {}),
      ...(candidate.scales ? { ridgeBlockScales: candidate.scales } : {}),
      bestEpoch: candidate.bestEpoch,
      validationLoss: candidate.validationLoss,
    });
    tracker.step(tried.length, 1, {
      hiddenUnits: candidate.hiddenUnits,
      bestEpoch: candidate.bestEpoch,
      ...(candidate.weightDecay !== undefined ? { weightDecay: candidate.weightDecay } : {}),
      ...(candidate.validationLoss !== undefined ? { validationLoss: candidate.validationLoss } : {}),
    });
    if (!chosen || (candidate.validationLoss ?? Infinity) < (chosen.validationLoss ?? Infinity)) chosen = candidate;
  };
  const scaledBlock = smallestBlock(blocks);
  for (const hiddenUnits of settings.hiddenUnits) {
    signal?.throwIfAborted();
    if (hiddenUnits === 0) {
      const trainGroups = split.train.map((row) => rowGroup(data.groups, row));
      const folds = settings.folds;
      if (!Number.isSafeInteger(folds) || folds < 2) throw new InvalidOptionError(`folds must be an integer >= 2, got ${folds}`, { option: 'folds' });
      const {
        alphas,
        scales,
        crossValidationLoss: loss,
        outOfFold,
      } = choosePenalties(
        trainPart,
        trainGroups,
        folds,
        settings.seed,
        inputs,
        outputs,
        settings.ridgeAlphas,
        scaledBlock ? { block: scaledBlock, scales: settings.ridgeBlockScales } : undefined,
      );
      crossValidationLoss = loss;
      const head = fitBlockScaledRidgeHead(trainPart, inputs, outputs, alphas, scales, scaledBlock ?? { start: 0, width: 0 });
      const lengthOutOfFold =
        outOfFold && settings.lengthFeature !== undefined
          ? lengthLinesOutOfFold(trainPart, inputs, outputs, settings.lengthFeature, crossValidationFolds(trainGroups, folds, settings.seed))
          : undefined;
      consider({
        hiddenUnits,
        alphas,
        scales: scaledBlock ? scales : undefined,
        outOfFold,
        lengthOutOfFold,
        bestEpoch: 0,
        validationLoss: validationPart ? evaluateHead(head, validationPart) : undefined,
        head,
      });
      continue;
    }
    for (const weightDecay of settings.weightDecays) {
      signal?.throwIfAborted();
      const result = trainRegressionHead(trainPart, validationPart, inputs, outputs, { ...trainOptions, hiddenUnits, weightDecay });
      consider({ hiddenUnits, weightDecay, bestEpoch: result.bestEpoch, validationLoss: result.validationLoss, head: result.head });
    }
  }
  const winner = chosen!;
  let head = winner.head;
  // The length lines compete with a linear head for the bins (calibration on, held-out rows): fitted on the training part for the validation rows.
  const lengthFeature = settings.calibrate !== false && validationPart && winner.hiddenUnits === 0 ? settings.lengthFeature : undefined;
  const trainLines = lengthFeature !== undefined ? fitLengthLines(trainPart, inputs, outputs, lengthFeature) : undefined;
  const lengthLines =
    lengthFeature !== undefined && trainLines && validationPart
      ? {
          outOfFold: winner.lengthOutOfFold,
          validation: predictLengthLines(trainLines, validationPart.features, validationPart.rows, inputs, lengthFeature),
        }
      : undefined;
  const calibration =
    settings.calibrate !== false && validationPart
      ? calibrateOutputs(winner, validationPart, split, data, targetNormalisation, scales, settings.calibrate, lengthLines)
      : undefined;
  // The attributes whose calibration kept the length line: the head's column for them becomes the line.
  const keptLines = calibration?.map((map) => map.predictor === 'length-line');
  const withKeptLines = (linear: RegressionHead, lines: () => LengthLine[]): RegressionHead =>
    lengthFeature !== undefined && keptLines?.some(Boolean) ? withLengthLines(linear, lines(), keptLines, lengthFeature) : linear;
  head = withKeptLines(head, () => trainLines!);
  const refit = settings.refit && validationPart !== undefined;
  if (refit) {
    // The refit on every row can take longer than the search: it is a job of its own, so it is not silent.
    const refitTracker = new ProgressTracker('refit-attribute-head', { total: 1, unit: 'fits', listeners: [onProgress] });
    const all = Array.from({ length: data.rows }, (_, index) => index);
    featureNormalisation = featureStandardizer(features);
    targetNormalisation = fitStandardizer(targets, outputs, mask);
    const full = dataset(all, featureNormalisation, targetNormalisation);
    head = winner.alphas
      ? fitBlockScaledRidgeHead(full, inputs, outputs, winner.alphas, winner.scales ?? winner.alphas.map(() => 1), scaledBlock ?? { start: 0, width: 0 })
      : trainRegressionHead(full, undefined, inputs, outputs, {
          ...trainOptions,
          hiddenUnits: winner.hiddenUnits,
          weightDecay: winner.weightDecay ?? 0,
          maxEpochs: Math.max(1, winner.bestEpoch),
        }).head;
    head = withKeptLines(head, () => fitLengthLines(full, inputs, outputs, lengthFeature!));
    refitTracker.step(1, 1, { rows: data.rows });
    refitTracker.end({ rows: data.rows });
  }
  // A constant map is refitted too: the median of every row's label, not just the validation rows'.
  const maps = calibration?.map((map, output) => {
    if (!map.applied || map.slope !== 0 || !refit) return map;
    const labels = observedColumn(
      targets,
      mask,
      outputs,
      output,
      Array.from({ length: data.rows }, (_, row) => row),
    );
    return { ...map, intercept: median(labels) };
  });
  return {
    head,
    featureNormalisation,
    targetNormalisation,
    hiddenUnits: winner.hiddenUnits,
    weightDecay: winner.weightDecay,
    ridgeAlphas: winner.alphas,
    ridgeBlockScales: winner.scales,
    bestEpoch: winner.bestEpoch,
    validationLoss: winner.validationLoss,
    // The training mean is 0 in standardised units.
    constantValidationLoss: validationPart
      ? maskedMeanSquaredError(new Float32Array(validationPart.targets.length), validationPart.targets, validationPart.mask).loss
      : undefined,
    candidates: tried,
    crossValidationLoss,
    refit,
    calibration: maps,
  };
}

/** Returns the observed values of column `output` of a row-major `outputs`-wide matrix, over `rows`. */
function observedColumn(values: Float32Array, mask: Uint8Array, outputs: number, output: number, rows: readonly number[]): number[] {
  return rows.flatMap((row) => (mask[row * outputs + output] ? [values[row * outputs + output]!] : []));
}

/** One output's MAE map (see fitMaeCalibration) and what it measured on the validation rows, on the label scale. */
export interface OutputCalibration {
  /** Whether the fitted map is used; when not, slope 1 and intercept 0 (the values are rounded). */
  readonly applied: boolean;
  readonly slope: number;
  readonly intercept: number;
  /** MAE of the fitted map's bins on the rows it was fitted on. */
  readonly fitMae: number;
  /** MAE of the uncalibrated bins on those rows. */
  readonly fitUncalibratedMae: number;
  /** The standard error of fitUncalibratedMae − fitMae (paired over the rows). */
  readonly fitGainStandardError: number;
  /** What the map was fitted on: the validation predictions with the ridge head's out-of-fold ones over the training part, or the validation ones alone. */
  readonly fittedOn: 'cross-validation' | 'validation';
  readonly fitRows: number;
  readonly validationRows: number;
  /** Validation MAE of the model's bins (calibrated where applied). */
  readonly validationMae: number;
  /** Validation MAE of the uncalibrated head's rounded predictions. */
  readonly uncalibratedMae: number;
  /** Validation MAE of always predicting the training part's median (rounded): the constant to beat. */
  readonly constantMae: number;
  /**
   * Whose values give the bins: the head's, or the length line's (see chooseLengthLine), whose slope and
   * intercept then map the line's values and whose line is the head's column for this output.
   */
  readonly predictor: 'head' | 'length-line';
  /** MAE of the length line's bins (through its own map under the same rule) on the rows the maps were fitted on; undefined without a length feature. */
  readonly lengthLineFitMae?: number | undefined;
  /** The standard error of the head's bins' MAE − the line's on those rows (paired); undefined without a length feature. */
  readonly lengthLineGainStandardError?: number | undefined;
}

/**
 * Returns whether the length line's bins replace the head's for one output: unless the head's bins beat
 * the line's on the held-out rows by more than the standard error of the difference (paired over the rows).
 * The simpler model is kept when the data cannot tell them apart (the one-standard-error rule): both maps
 * were chosen on these rows, and on ≈ 700 rows a gain within one standard error is noise.
 */
export function chooseLengthLine(
  headErrors: ArrayLike<number>,
  lineErrors: ArrayLike<number>,
): { useLine: boolean; headMae: number; lineMae: number; standardError: number } {
  const rows = headErrors.length;
  let sum = 0;
  let squares = 0;
  let headSum = 0;
  let lineSum = 0;
  for (let row = 0; row < rows; row += 1) {
    const difference = lineErrors[row]! - headErrors[row]!;
    sum += difference;
    squares += difference * difference;
    headSum += headErrors[row]!;
    lineSum += lineErrors[row]!;
  }
  if (rows === 0) return { useLine: false, headMae: Number.NaN, lineMae: Number.NaN, standardError: 0 };
  const mean = sum / rows;
  const variance = rows > 1 ? Math.max(0, squares / rows - mean * mean) * (rows / (rows - 1)) : 0;
  const standardError = Math.sqrt(variance / rows);
  return { useLine: !(mean > standardError), headMae: headSum / rows, lineMae: lineSum / rows, standardError };
}

/**
 * Returns, per output, the MAE map of the winning head, fitted on every held-out prediction there is:
 * its validation predictions and, for a ridge head with cross-validation, the out-of-fold predictions
 * over the training part (the validation part alone, 15 % of the rows, is too few to tell a weak signal
 * from noise). Slope 0 (the constant median) is one of the candidates, so on those rows the map is never
 * worse than a constant. With `mode` 'auto' a map is used only where it lowers the MAE on those rows by
 * more than its standard error (see calibrationPays; elsewhere the identity: the head's values rounded). The validation MAEs
 * of the bins used and of the training part's median are reported.
 */
function calibrateOutputs(
  winner: { readonly head: RegressionHead; readonly outOfFold?: Float32Array | undefined },
  validation: HeadDataset,
  split: { readonly train: readonly number[]; readonly validation: readonly number[] },
  data: LabelledRows,
  targetNormalisation: Standardizer,
  scales: readonly AttributeRange[],
  mode: true | 'auto',
  lengthLines?: { readonly outOfFold: Float32Array | undefined; readonly validation: Float32Array },
): OutputCalibration[] {
  const { outputs, targets, mask } = data;
  const validationScores = unstandardize(winner.head.forward(validation.features, validation.rows), targetNormalisation);
  const outOfFold = winner.outOfFold ? unstandardize(winner.outOfFold, targetNormalisation) : undefined;
  const lineValidation = lengthLines ? unstandardize(lengthLines.validation, targetNormalisation) : undefined;
  const lineOutOfFold = lengthLines?.outOfFold ? unstandardize(lengthLines.outOfFold, targetNormalisation) : undefined;
  const positions = Array.from({ length: validation.rows }, (_, row) => row);
  return Array.from({ length: outputs }, (_, output) => {
    const round = (value: number) => clampToScale(value, scales[output]!);
    const scores = observedColumn(validationScores, validation.mask, outputs, output, positions);
    const labels = observedColumn(targets, mask, outputs, output, split.validation);
    const constant = median(observedColumn(targets, mask, outputs, output, split.train));
    const constantMae = Number.isFinite(constant) ? roundedMeanAbsoluteError(new Float64Array(labels.length).fill(constant), labels, round) : Number.NaN;
    const uncalibratedMae = roundedMeanAbsoluteError(scores, labels, round);
    const outOfFoldRows = outOfFold
      ? split.train
          .map((_, position) => position)
          .filter(
            (position) =>
              mask[split.train[position]! * outputs + output] &&
              !Number.isNaN(outOfFold[position * outputs + output]!) &&
              (!lineOutOfFold || !Number.isNaN(lineOutOfFold[position * outputs + output]!)),
          )
      : [];
    const fitLabels = [...outOfFoldRows.map((position) => targets[split.train[position]! * outputs + output]!), ...labels];
    // The map of held-out scores under the rule (`true`: always; 'auto': where it pays), and its bins' errors there.
    const mapOf = (heldOut: number[]) => {
      const map = fitMaeCalibration(heldOut, fitLabels, round);
      const applied = mode === true || calibrationPays(map);
      const slope = applied ? map.slope : 1;
      const intercept = applied ? map.intercept : 0;
      return { map, applied, slope, intercept, errors: heldOut.map((score, row) => Math.abs(round(intercept + slope * score) - fitLabels[row]!)) };
    };
    const headMap = mapOf([...outOfFoldRows.map((position) => outOfFold![position * outputs + output]!), ...scores]);
    let chosen = headMap;
    let predictor: 'head' | 'length-line' = 'head';
    let validationScoresUsed = scores;
    let lengthLine: { lengthLineFitMae: number; lengthLineGainStandardError: number } | undefined;
    if (lineValidation) {
      const lineScores = observedColumn(lineValidation, validation.mask, outputs, output, positions);
      const lineMap = mapOf([...outOfFoldRows.map((position) => lineOutOfFold![position * outputs + output]!), ...lineScores]);
      const choice = chooseLengthLine(headMap.errors, lineMap.errors);
      lengthLine = { lengthLineFitMae: choice.lineMae, lengthLineGainStandardError: choice.standardError };
      if (choice.useLine && fitLabels.length >= MIN_CALIBRATION_ROWS) {
        chosen = lineMap;
        predictor = 'length-line';
        validationScoresUsed = lineScores;
      }
    }
    const { map, applied, slope, intercept } = chosen;
    const validationMae = roundedMeanAbsoluteError(
      validationScoresUsed.map((score) => intercept + slope * score),
      labels,
      round,
    );
    const base = {
      applied,
      fitMae: map.mae,
      fitUncalibratedMae: map.uncalibratedMae,
      fitGainStandardError: map.gainStandardError,
      fittedOn: outOfFoldRows.length > 0 ? ('cross-validation' as const) : ('validation' as const),
      fitRows: map.rows,
      validationRows: labels.length,
      uncalibratedMae,
      constantMae,
      predictor,
      ...lengthLine,
    };
    return { ...base, slope, intercept, validationMae };
  });
}
