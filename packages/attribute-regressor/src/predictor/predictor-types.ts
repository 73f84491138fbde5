import type { AttributeSchema, Featurizer, ProgressListener, ScoringInput } from '@steerlm/core';

/** A labelled response: its input, labels on the schema's scales, and its group (conversation tree). */
export interface TrainingExample {
  readonly input: ScoringInput;
  /** Values on each attribute's scale (fractions allowed); undefined, null, NaN or -100 mean missing. */
  readonly labels: Readonly<Record<string, number | null | undefined>>;
  /** Rows of one group (e.g. a conversation tree id) stay on one side of the validation split. */
  readonly group?: string;
}

/** Feature vectors with their labels and groups, for training without featurizing again. */
export interface FeatureExamples {
  readonly features: readonly Float32Array[];
  readonly labels: readonly TrainingExample['labels'][];
  readonly groups?: readonly (string | undefined)[];
}

export interface AttributePredictorTrainOptions {
  readonly schema: AttributeSchema;
  readonly featurizer: Featurizer;
  /** Candidate hidden widths (0 = linear head); the validation split picks one (default [0]). */
  readonly hiddenUnits?: number | readonly number[];
  /**
   * Candidate L2 penalties of the linear head (ridge regression, solved exactly); grouped K-fold
   * cross-validation on the training part picks one per attribute (default 1e-3, 1e-2, …, 1e5).
   */
  readonly ridgeAlphas?: readonly number[];
  /** Folds of that cross-validation (default 5). */
  readonly folds?: number;
  /** Candidate AdamW weight decays of MLP heads; the validation split picks one (default [0.01, 0.1, 1]). */
  readonly weightDecay?: number | readonly number[];
  readonly learningRate?: number;
  readonly batchSize?: number;
  readonly maxEpochs?: number;
  readonly patience?: number;
  /** The share of rows (whole groups) held out to choose hyperparameters and stop early (default 0.15). */
  readonly validationFraction?: number;
  /**
   * Give every feature block (see BlockedFeaturizer) the same prior weight by dividing its standardised
   * features by √width, so a 26-value length block is not drowned by a 512-value embedding (default true).
   */
  readonly balanceBlocks?: boolean;
  /** Retrain the chosen configuration on all rows for the chosen number of epochs (default true). */
  readonly refit?: boolean;
  /**
   * Fit each attribute's bin calibration for mean absolute error: the head predicts means,
   * the MAE of a bin rewards medians. Bins become round(intercept + slope · value), the map fitted on the
   * head's held-out predictions (validation rows, and the ridge head's out-of-fold predictions over the
   * training part) over slopes from 0 (the constant median) up, so on those rows it is never worse than a
   * constant; where the features carry nothing, the slope is 0 and the bin is the training median. Needs
   * validation rows (and at least 10 held-out labels of an attribute). Default false: calibrated bins
   * spread less, and annotation with them weakened steering in the demo (docs/attribute-predictor.md).
   */
  readonly calibrate?: boolean;
  /** Seeds the split, initialisation and shuffling (default 0). */
  readonly seed?: number;
  /** Inputs per featurizer call (default 64). */
  readonly featurizeBatchSize?: number;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** What training chose and measured. */
export interface TrainingReport {
  rows: number;
  trainRows: number;
  validationRows: number;
  hiddenUnits: number;
  /** The chosen AdamW weight decay (MLP heads). */
  weightDecay: number | undefined;
  /** The chosen ridge penalty per attribute (linear heads). */
  ridgeAlphas: Record<string, number> | undefined;
  /** The chosen epoch count (MLP heads; 0 for the exact linear solution). */
  bestEpoch: number;
  /** Masked MSE in standardised units on the validation rows, per candidate tried. */
  candidates: Array<{ hiddenUnits: number; weightDecay?: number; ridgeAlphas?: number[]; bestEpoch: number; validationLoss: number | undefined }>;
  validationLoss: number | undefined;
  /** Masked MSE (standardised) of the linear head's chosen penalties in grouped K-fold cross-validation on the training part. */
  crossValidationLoss: number | undefined;
  refit: boolean;
  /**
   * Per attribute, the bin calibration and what it measured on the validation rows (MAE of bins on the
   * attribute's scale): the calibrated model's, the uncalibrated head's, and that of always predicting
   * the training part's median. Slope 0 means the features did not beat the constant: the attribute's
   * bin is the median. Undefined without validation rows or with `calibrate: false`.
   */
  calibration: Record<string, AttributeCalibration> | undefined;
  featurizeMs: number;
  trainMs: number;
}

/**
 * One attribute's bin calibration (bin = round(intercept + slope · value)) and what it measured on the
 * validation rows: MAEs of bins on the attribute's scale.
 */
export interface AttributeCalibration {
  slope: number;
  intercept: number;
  /** Fitted on the validation predictions with the ridge head's out-of-fold ones over the training part, or on the validation ones alone. */
  fittedOn: 'cross-validation' | 'validation';
  fitRows: number;
  validationRows: number;
  /** The calibrated model's validation MAE. */
  validationMae: number;
  /** The head's validation MAE before calibration. */
  uncalibratedMae: number;
  /** The validation MAE of always predicting the training part's median: the constant to beat. */
  constantMae: number;
}
