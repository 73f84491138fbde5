/**
 * Model selection for the attribute head: every candidate (the ridge head with per-attribute penalties
 * from grouped cross-validation, and each MLP width × weight decay with early stopping) is fitted on the
 * training rows and scored on the validation rows; the lowest validation loss wins and, with `refit`, is
 * fitted again on all rows.
 */
import { InvalidOptionError, ProgressTracker, type ProgressListener } from '@steerlm/core';
import type { RegressionHead } from '../head/regression-head';
import { fitRidgeHead } from '../head/ridge-regression';
import { fitStandardizer, standardize, type Standardizer } from '../head/standardizer';
import { evaluateHead, trainRegressionHead, type HeadDataset } from '../head/train-head';
import { choosePenalties } from './choose-penalties';
import type { AttributePredictorTrainOptions, TrainingReport } from './predictor-types';
import { gather } from './row-matrix';
import { rowGroup } from './split-rows';
import { balanceBlocks, standardizeTargets } from './standardization';

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
  /** Folds of the ridge cross-validation (checked when the ridge candidate runs). */
  readonly folds: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly seed: number;
  readonly balanceBlocks: boolean;
  readonly refit: boolean;
}

function candidates(value: number | readonly number[] | undefined, fallback: readonly number[], option: string): number[] {
  const list = value === undefined ? [...fallback] : typeof value === 'number' ? [value] : [...value];
  if (list.length === 0) throw new InvalidOptionError(`${option} needs at least one value`, { option });
  return list;
}

/** Returns the selection settings of `options`, with the defaults filled in (throws on an empty candidate list). */
export function resolveSelectionSettings(options: AttributePredictorTrainOptions): SelectionSettings {
  return {
    hiddenUnits: candidates(options.hiddenUnits, [0], 'hiddenUnits'),
    weightDecays: candidates(options.weightDecay, [0.01, 0.1, 1], 'weightDecay'),
    ridgeAlphas: candidates(options.ridgeAlphas, [1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4, 1e5], 'ridgeAlphas'),
    folds: options.folds ?? 5,
    learningRate: options.learningRate ?? 1e-3,
    batchSize: options.batchSize ?? 32,
    maxEpochs: options.maxEpochs ?? 200,
    patience: options.patience ?? 20,
    seed: options.seed ?? 0,
    balanceBlocks: options.balanceBlocks ?? true,
    refit: options.refit ?? true,
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
  readonly bestEpoch: number;
  readonly validationLoss: number | undefined;
  readonly candidates: TrainingReport['candidates'];
  readonly crossValidationLoss: number | undefined;
  readonly refit: boolean;
}

type Candidate = { hiddenUnits: number; weightDecay?: number; alphas?: number[]; bestEpoch: number; validationLoss: number | undefined; head: RegressionHead };

/**
 * Returns the best head over `data` split into `split.train` and `split.validation` rows. `blocks` are
 * the featurizer's feature blocks (balanced when `settings.balanceBlocks`); each tried candidate is a
 * step of `tracker`.
 */
export function selectHead(
  data: LabelledRows,
  split: { readonly train: readonly number[]; readonly validation: readonly number[] },
  blocks: readonly number[],
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
  for (const hiddenUnits of settings.hiddenUnits) {
    signal?.throwIfAborted();
    if (hiddenUnits === 0) {
      const trainGroups = split.train.map((row) => rowGroup(data.groups, row));
      const folds = settings.folds;
      if (!Number.isSafeInteger(folds) || folds < 2) throw new InvalidOptionError(`folds must be an integer >= 2, got ${folds}`, { option: 'folds' });
      const { alphas, crossValidationLoss: loss } = choosePenalties(trainPart, trainGroups, folds, settings.seed, inputs, outputs, settings.ridgeAlphas);
      crossValidationLoss = loss;
      const head = fitRidgeHead(trainPart, inputs, outputs, alphas);
      consider({ hiddenUnits, alphas, bestEpoch: 0, validationLoss: validationPart ? evaluateHead(head, validationPart) : undefined, head });
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
  const refit = settings.refit && validationPart !== undefined;
  if (refit) {
    // The refit on every row can take longer than the search: it is a job of its own, so it is not silent.
    const refitTracker = new ProgressTracker('refit-attribute-head', { total: 1, unit: 'fits', listeners: [onProgress] });
    const all = Array.from({ length: data.rows }, (_, index) => index);
    featureNormalisation = featureStandardizer(features);
    targetNormalisation = fitStandardizer(targets, outputs, mask);
    const full = dataset(all, featureNormalisation, targetNormalisation);
    head = winner.alphas
      ? fitRidgeHead(full, inputs, outputs, winner.alphas)
      : trainRegressionHead(full, undefined, inputs, outputs, {
          ...trainOptions,
          hiddenUnits: winner.hiddenUnits,
          weightDecay: winner.weightDecay ?? 0,
          maxEpochs: Math.max(1, winner.bestEpoch),
        }).head;
    refitTracker.step(1, 1, { rows: data.rows });
    refitTracker.end({ rows: data.rows });
  }
  return {
    head,
    featureNormalisation,
    targetNormalisation,
    hiddenUnits: winner.hiddenUnits,
    weightDecay: winner.weightDecay,
    ridgeAlphas: winner.alphas,
    bestEpoch: winner.bestEpoch,
    validationLoss: winner.validationLoss,
    candidates: tried,
    crossValidationLoss,
    refit,
  };
}
