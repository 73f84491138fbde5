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
  /**
   * Candidate scales of the narrowest feature block (see BlockedFeaturizer; e.g. the 26 text statistics
   * beside 6144 hashed n-grams) in the ridge head: with scale s that block's penalty is the chosen
   * penalty / s², so a few dense features (response length) are not shrunk as hard as thousands of sparse
   * ones. The same cross-validation picks a scale per attribute with its penalty (e.g. [1, 4, 16, 64]; default
   * [1]: one penalty for every block, since on oasst1 the scales moved no attribute's MAE by more than 0.007).
   * No effect with a single block.
   */
  readonly ridgeBlockScales?: readonly number[];
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
   * Bins calibrated for mean absolute error: the head predicts means, the MAE of a bin rewards medians.
   * Per attribute, the map `intercept + slope · value` (then rounded) is fitted on the head's held-out
   * predictions (validation rows, and the ridge head's out-of-fold predictions over the training part)
   * over slopes from 0 (the constant median) up, so on those rows it is never worse than a constant.
   * `'auto'` uses an attribute's map only where it lowers that held-out MAE by more than the
   * gain's standard error (paired over the rows), and rounds the values elsewhere; `true` uses every map; `false` (default)
   * rounds every value. Needs validation rows (and at least 10 held-out labels of an attribute); the
   * choice is recorded per attribute in `TrainingReport.calibration` and saved with the model.
   */
  readonly calibrate?: boolean | 'auto';
  /**
   * Compare each attribute's bins with the length baseline's (the least-squares line on log(1 + response
   * characters), as `apm eval` prints it) and keep the line for an attribute unless the head's bins beat
   * the line's on the held-out rows the maps are fitted on by more than the standard error of the
   * difference (paired over the rows): the simpler model wins when the data cannot tell them apart.
   * `true` uses the featurizer's declared length feature (see LengthFeaturizer: hashed-ngrams and
   * text-statistics have one); a number gives the feature's index. Needs calibration on and a linear
   * head. Where the line is kept it is that attribute's column of the head (the saved format is the same),
   * so its `values` are the line's too; the choice is recorded in `TrainingReport.calibration`
   * (`predictor`). Default false: on oasst1 it moved quality by −0.004 on average, within noise, and
   * cost humor up to 0.027 (docs/benchmarks.md).
   */
  readonly lengthLine?: boolean | number;
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
  /** The chosen scale of the narrowest feature block per attribute (linear heads over two or more blocks; see `ridgeBlockScales`). */
  ridgeBlockScales: Record<string, number> | undefined;
  /** The chosen epoch count (MLP heads; 0 for the exact linear solution). */
  bestEpoch: number;
  /** Masked MSE in standardised units on the validation rows, per candidate tried. */
  candidates: Array<{
    hiddenUnits: number;
    weightDecay?: number;
    ridgeAlphas?: number[];
    ridgeBlockScales?: number[];
    bestEpoch: number;
    validationLoss: number | undefined;
  }>;
  validationLoss: number | undefined;
  /**
   * The validation loss of predicting the training part's mean of every attribute (the constant a useful
   * head beats; about 1 in these standardised units). Undefined without validation rows.
   */
  constantValidationLoss: number | undefined;
  /** Masked MSE (standardised) of the linear head's chosen penalties in grouped K-fold cross-validation on the training part. */
  crossValidationLoss: number | undefined;
  refit: boolean;
  /**
   * Per attribute, the bin calibration used (`applied`; identity where it was not) and what it measured
   * on the held-out rows it was fitted on and on the validation rows (MAE of bins on the attribute's
   * scale): the model's bins, the uncalibrated head's, and always predicting the training part's median.
   * Slope 0 means the features did not beat the constant: the attribute's bin is the median. Undefined
   * without validation rows or with `calibrate: false`.
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
  /** Whether the fitted map is used (`calibrate: true`, or under `'auto'` a gain above the margin); otherwise slope 1, intercept 0. */
  applied: boolean;
  slope: number;
  intercept: number;
  /** MAE of the fitted map's bins on the rows it was fitted on (held-out predictions). */
  fitMae: number;
  /** MAE of the uncalibrated bins on those rows. */
  fitUncalibratedMae: number;
  /** The standard error of fitUncalibratedMae − fitMae (paired over the rows): `applied` under `'auto'` when the gain exceeds it. */
  fitGainStandardError: number;
  /** Fitted on the validation predictions with the ridge head's out-of-fold ones over the training part, or on the validation ones alone. */
  fittedOn: 'cross-validation' | 'validation';
  fitRows: number;
  validationRows: number;
  /** The model's validation MAE (of its bins: calibrated where `applied`). */
  validationMae: number;
  /** The head's validation MAE before calibration. */
  uncalibratedMae: number;
  /** The validation MAE of always predicting the training part's median: the constant to beat. */
  constantMae: number;
  /**
   * Whose values give the bins: the head's, or the least-squares line on the length feature (see
   * `lengthLine`), kept where the head's held-out bins did not beat the line's by more than a standard
   * error. The map and its fit figures (`slope`, `intercept`, `fitMae`, `fitUncalibratedMae`, `fitGainStandardError`) are then the line's.
   */
  predictor: 'head' | 'length-line';
  /** MAE of the length line's bins on the rows the maps were fitted on (undefined without a length feature). */
  lengthLineFitMae?: number | undefined;
  /** The standard error of the head's bins' MAE − the line's on those rows (paired over the rows). */
  lengthLineGainStandardError?: number | undefined;
}
