import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clampToScale,
  decodeSafetensors,
  encodeSafetensors,
  InvalidAttributeError,
  InvalidOptionError,
  groupHash,
  ModelFormatError,
  partitionByGroup,
  ProgressTracker,
  ShapeError,
  TrainingError,
  type AttributeSchema,
  type AttributeScore,
  type AttributeScorer,
  type Featurizer,
  type ProgressListener,
  type ScoringInput,
} from '@steerlm/core';
import { writeBytesAtomically, writeTextFileAtomically } from '@steerlm/core/node';
import { annotate, type AnnotateOptions, type AnnotationSummary } from './annotate';
import { featureBlocksOf, isDescribedFeaturizer } from './featurizers/featurizer-description';
import { createFeaturizer } from './featurizers/featurizer-registry';
import { RegressionHead } from './head/regression-head';
import { fitStandardizer, standardize, unstandardize, type Standardizer } from './head/standardizer';
import { ridgeCrossValidationErrors } from './head/ridge-cross-validation';
import { fitRidgeHead } from './head/ridge-regression';
import { evaluateHead, trainRegressionHead, type HeadDataset } from './head/train-head';
import { parsePredictorConfig, PREDICTOR_FILES, PREDICTOR_FORMAT, PREDICTOR_FORMAT_VERSION, type PredictorConfig } from './persistence/predictor-config';

/** NeMo-Aligner's marker of a missing attribute label. */
export const MISSING_LABEL = -100;

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
  featurizeMs: number;
  trainMs: number;
}

function candidates(value: number | readonly number[] | undefined, fallback: readonly number[], option: string): number[] {
  const list = value === undefined ? [...fallback] : typeof value === 'number' ? [value] : [...value];
  if (list.length === 0) throw new InvalidOptionError(`${option} needs at least one value`, { option });
  return list;
}

/** Returns the labels of examples as row-major targets and a mask, checking names and ranges. */
function labelMatrix(labels: readonly TrainingExample['labels'][], schema: AttributeSchema): { targets: Float32Array; mask: Uint8Array } {
  const outputs = schema.names.length;
  const targets = new Float32Array(labels.length * outputs);
  const mask = new Uint8Array(labels.length * outputs);
  labels.forEach((row, index) => {
    for (const [name, value] of Object.entries(row ?? {})) {
      const column = schema.indexOf(name);
      if (column === -1) {
        throw new InvalidAttributeError(`example ${index} has a label for unknown attribute "${name}"`, {
          attribute: name,
          field: `examples[${index}].labels.${name}`,
          hint: `known attributes: ${schema.names.join(', ')}; drop other labels before training`,
        });
      }
      if (value === undefined || value === null || Number.isNaN(value) || value === MISSING_LABEL) continue;
      const definition = schema.attributes[column]!;
      if (typeof value !== 'number' || value < definition.min || value > definition.max) {
        throw new InvalidAttributeError(`example ${index} labels "${name}" ${String(value)}, outside ${definition.min}..${definition.max}`, {
          attribute: name,
          field: `examples[${index}].labels.${name}`,
          hint: `use ${MISSING_LABEL} or leave the label out when it is missing`,
        });
      }
      targets[index * outputs + column] = value;
      mask[index * outputs + column] = 1;
    }
  });
  return { targets, mask };
}

function gather(source: Float32Array | Uint8Array, rows: readonly number[], width: number): Float32Array | Uint8Array {
  const result = source instanceof Uint8Array ? new Uint8Array(rows.length * width) : new Float32Array(rows.length * width);
  rows.forEach((row, index) => result.set(source.subarray(row * width, (row + 1) * width), index * width));
  return result;
}

/** Returns a masked copy where unobserved targets are 0 in standardised units (they never count). */
function standardizeTargets(targets: Float32Array, mask: Uint8Array, standardizer: Standardizer): Float32Array {
  const result = standardize(targets, standardizer);
  for (let index = 0; index < result.length; index += 1) if (!mask[index]) result[index] = 0;
  return result;
}

/**
 * Returns row indices split by group with core's seeded `partitionByGroup` (rows without a group are
 * groups of their own); when every row lands on one side, all rows train and none validate.
 */
function splitRows(groups: readonly (string | undefined)[] | undefined, rows: number, validationFraction: number, seed: number): { train: number[]; validation: number[] } {
  if (!Number.isFinite(validationFraction) || validationFraction < 0 || validationFraction >= 1) {
    throw new InvalidOptionError(`validationFraction must be in [0, 1), got ${validationFraction}`, { option: 'validationFraction' });
  }
  const indices = Array.from({ length: rows }, (_, index) => index);
  const split = partitionByGroup(indices, { key: (index) => groups?.[index] ?? `\u0000row:${index}`, validationFraction, seed });
  if (split.train.length === 0) return { train: indices, validation: [] };
  return split;
}

/** Returns the standardizer with each block's std multiplied by √(block width): equal prior weight per block. */
function balanceBlocks(standardizer: Standardizer, blocks: readonly number[]): Standardizer {
  const std = Float32Array.from(standardizer.std);
  let offset = 0;
  for (const width of blocks) {
    const scale = Math.sqrt(width);
    for (let index = offset; index < offset + width; index += 1) std[index]! *= scale;
    offset += width;
  }
  return { mean: standardizer.mean, std };
}

/** Returns the rows of a dataset (row-major copies). */
function subset(data: HeadDataset, rows: readonly number[], inputs: number, outputs: number): HeadDataset {
  return {
    features: gather(data.features, rows, inputs) as Float32Array,
    targets: gather(data.targets, rows, outputs) as Float32Array,
    mask: gather(data.mask, rows, outputs) as Uint8Array,
    rows: rows.length,
  };
}

/**
 * Returns, per output, the ridge penalty with the lowest masked MSE on that output in grouped K-fold
 * cross-validation over `data` (each output's loss depends only on its own weights, so outputs choose
 * independently). Folds follow the groups' seeded hashes, so a group never straddles train and test.
 * With fewer than two non-empty folds, the middle candidate.
 */
function choosePenalties(data: HeadDataset, groups: readonly string[], folds: number, seed: number, inputs: number, outputs: number, alphas: readonly number[]): { alphas: number[]; crossValidationLoss: number | undefined } {
  const foldOf = groups.map((group) => Math.min(folds - 1, Math.floor(groupHash(group, seed + 7) * folds)));
  const foldRows = Array.from({ length: folds }, (_, fold) => foldOf.flatMap((value, row) => (value === fold ? [row] : [])));
  const usable = foldRows.filter((rows) => rows.length > 0 && rows.length < data.rows);
  if (usable.length < 2) return { alphas: new Array<number>(outputs).fill(alphas[Math.floor(alphas.length / 2)]!), crossValidationLoss: undefined };
  let squared: Float64Array[];
  let counts: Float64Array;
  if (data.rows <= inputs) {
    ({ errors: squared, counts } = ridgeCrossValidationErrors(data, inputs, outputs, usable, alphas));
  } else {
    squared = alphas.map(() => new Float64Array(outputs));
    counts = new Float64Array(outputs);
    for (const testRows of usable) {
      const held = new Set(testRows);
      const trainRows = Array.from({ length: data.rows }, (_, row) => row).filter((row) => !held.has(row));
      const train = subset(data, trainRows, inputs, outputs);
      const test = subset(data, testRows, inputs, outputs);
      for (let output = 0; output < outputs; output += 1) for (let row = 0; row < test.rows; row += 1) counts[output]! += test.mask[row * outputs + output]!;
      alphas.forEach((alpha, candidate) => {
        const predictions = fitRidgeHead(train, inputs, outputs, new Array<number>(outputs).fill(alpha)).forward(test.features, test.rows);
        for (let index = 0; index < predictions.length; index += 1) {
          if (!test.mask[index]) continue;
          squared[candidate]![index % outputs]! += (predictions[index]! - test.targets[index]!) ** 2;
        }
      });
    }
  }
  let lossSum = 0;
  let observed = 0;
  const chosen = Array.from({ length: outputs }, (_, output) => {
    let best = 0;
    alphas.forEach((_, candidate) => {
      if (squared[candidate]![output]! < squared[best]![output]!) best = candidate;
    });
    lossSum += squared[best]![output]!;
    observed += counts[output]!;
    return counts[output]! > 0 ? alphas[best]! : alphas[Math.floor(alphas.length / 2)]!;
  });
  return { alphas: chosen, crossValidationLoss: observed > 0 ? lossSum / observed : undefined };
}

/** Returns the features of all inputs, in batches, checking their size and values. */
async function featurizeAll(featurizer: Featurizer, inputs: readonly ScoringInput[], batchSize: number, tracker?: ProgressTracker, signal?: AbortSignal): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    signal?.throwIfAborted();
    const batch = inputs.slice(start, start + batchSize);
    const features = await featurizer.featurize(batch);
    if (features.length !== batch.length) throw new ShapeError(`featurizer ${featurizer.id} returned ${features.length} vectors for ${batch.length} inputs`);
    features.forEach((vector, offset) => {
      if (vector.length !== featurizer.dimension) {
        throw new ShapeError(`featurizer ${featurizer.id} returned ${vector.length} values for input ${start + offset}, declared ${featurizer.dimension}`);
      }
      if (vector.some((value) => !Number.isFinite(value))) throw new ShapeError(`featurizer ${featurizer.id} returned NaN or Infinity for input ${start + offset}`);
      vectors.push(vector);
    });
    tracker?.step(Math.floor(start / batchSize) + 1, batch.length);
  }
  return vectors;
}

function flatten(vectors: readonly Float32Array[], width: number): Float32Array {
  const result = new Float32Array(vectors.length * width);
  vectors.forEach((vector, index) => result.set(vector, index * width));
  return result;
}

/**
 * SteerLM's attribute prediction model as a featurizer plus a regression head: trains on labelled
 * responses, predicts continuous values and values clamped and rounded to the schema's bins, and saves
 * to a folder (config.json + model.safetensors).
 */
export class AttributePredictor implements AttributeScorer {
  readonly specificationVersion = 'v1' as const;
  readonly schema: AttributeSchema;
  readonly featurizer: Featurizer;
  readonly head: RegressionHead;
  readonly featureNormalisation: Standardizer;
  readonly targetNormalisation: Standardizer;
  /** How the model was trained, when it was trained or loaded with a report. */
  readonly trainingReport: Readonly<Record<string, unknown>> | undefined;

  /** Wraps trained parts; use `train`, `trainFromFeatures` or `load` to get one. */
  constructor(parts: {
    schema: AttributeSchema;
    featurizer: Featurizer;
    head: RegressionHead;
    featureNormalisation: Standardizer;
    targetNormalisation: Standardizer;
    trainingReport?: Readonly<Record<string, unknown>>;
  }) {
    const { schema, featurizer, head } = parts;
    if (head.config.inputDimension !== featurizer.dimension || head.config.outputDimension !== schema.names.length) {
      throw new ShapeError(
        `the head maps ${head.config.inputDimension} features to ${head.config.outputDimension} attributes, but the featurizer gives ${featurizer.dimension} and the schema has ${schema.names.length}`,
      );
    }
    this.schema = schema;
    this.featurizer = featurizer;
    this.head = head;
    this.featureNormalisation = parts.featureNormalisation;
    this.targetNormalisation = parts.targetNormalisation;
    this.trainingReport = parts.trainingReport;
  }

  /** Returns a predictor trained on the examples: featurizes them, then `trainFromFeatures`. */
  static async train(examples: readonly TrainingExample[], options: AttributePredictorTrainOptions): Promise<AttributePredictor> {
    if (!Array.isArray(examples) || examples.length === 0) throw new TrainingError('there are no training examples', { hint: 'give at least one labelled example' });
    const batchSize = options.featurizeBatchSize ?? 64;
    const started = performance.now();
    const tracker = new ProgressTracker('featurize', { total: examples.length, unit: 'responses', listeners: [options.onProgress] });
    const features = await featurizeAll(options.featurizer, examples.map((example) => example.input), batchSize, tracker, options.signal);
    tracker.end({ featurizer: options.featurizer.id });
    const featurizeMs = performance.now() - started;
    return AttributePredictor.trainFromFeatures(
      { features, labels: examples.map((example) => example.labels), groups: examples.map((example) => example.group) },
      options,
      { featurizeMs },
    );
  }

  /**
   * Returns a predictor whose head is trained on precomputed feature vectors (from `options.featurizer`).
   * Rows are split by group (seeded) into training and validation parts. The linear candidate is ridge
   * regression with per-attribute penalties chosen by grouped K-fold cross-validation on the training
   * part; each MLP candidate (width × weight decay) trains with AdamW and early stopping on the
   * validation part. The lowest validation loss wins and (with `refit`) is retrained on all rows.
   */
  static trainFromFeatures(examples: FeatureExamples, options: AttributePredictorTrainOptions, timing: { featurizeMs?: number } = {}): AttributePredictor {
    const { schema, featurizer } = options;
    const rows = examples.features.length;
    if (rows === 0) throw new TrainingError('there are no training examples', { hint: 'give at least one labelled example' });
    if (examples.labels.length !== rows) throw new ShapeError(`${rows} feature vectors but ${examples.labels.length} label rows`);
    const inputs = featurizer.dimension;
    const outputs = schema.names.length;
    examples.features.forEach((vector, index) => {
      if (vector.length !== inputs) throw new ShapeError(`feature vector ${index} has ${vector.length} values, the featurizer declares ${inputs}`);
    });
    const started = performance.now();
    const seed = options.seed ?? 0;
    const hiddenCandidates = candidates(options.hiddenUnits, [0], 'hiddenUnits');
    const decayCandidates = candidates(options.weightDecay, [0.01, 0.1, 1], 'weightDecay');
    const alphaCandidates = candidates(options.ridgeAlphas, [1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4, 1e5], 'ridgeAlphas');
    const features = flatten(examples.features, inputs);
    const { targets, mask } = labelMatrix(examples.labels, schema);
    const split = splitRows(examples.groups, rows, options.validationFraction ?? 0.15, seed);
    const trainOptions = {
      learningRate: options.learningRate ?? 1e-3,
      batchSize: options.batchSize ?? 32,
      maxEpochs: options.maxEpochs ?? 200,
      patience: options.patience ?? 20,
      seed,
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
    const tracker = new ProgressTracker('train-attribute-head', {
      total: hiddenCandidates.reduce((sum, hidden) => sum + (hidden === 0 ? 1 : decayCandidates.length), 0),
      unit: 'candidates',
      listeners: [options.onProgress],
    });
    const tried: TrainingReport['candidates'] = [];
    let crossValidationLoss: number | undefined;
    type Chosen = { hiddenUnits: number; weightDecay?: number; alphas?: number[]; bestEpoch: number; validationLoss: number | undefined; head: RegressionHead };
    let chosen: Chosen | undefined;
    const balance = options.balanceBlocks ?? true;
    const featureStandardizer = (values: Float32Array) => (balance ? balanceBlocks(fitStandardizer(values, inputs), featureBlocksOf(featurizer)) : fitStandardizer(values, inputs));
    let featureNormalisation = featureStandardizer(gather(features, split.train, inputs) as Float32Array);
    let targetNormalisation = fitStandardizer(gather(targets, split.train, outputs) as Float32Array, outputs, gather(mask, split.train, outputs) as Uint8Array);
    const trainPart = dataset(split.train, featureNormalisation, targetNormalisation);
    const validationPart = split.validation.length > 0 ? dataset(split.validation, featureNormalisation, targetNormalisation) : undefined;
    const consider = (candidate: Chosen) => {
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
    for (const hiddenUnits of hiddenCandidates) {
      options.signal?.throwIfAborted();
      if (hiddenUnits === 0) {
        const trainGroups = split.train.map((row) => examples.groups?.[row] ?? `\u0000row:${row}`);
        const folds = options.folds ?? 5;
        if (!Number.isSafeInteger(folds) || folds < 2) throw new InvalidOptionError(`folds must be an integer >= 2, got ${folds}`, { option: 'folds' });
        const { alphas, crossValidationLoss: loss } = choosePenalties(trainPart, trainGroups, folds, seed, inputs, outputs, alphaCandidates);
        crossValidationLoss = loss;
        const head = fitRidgeHead(trainPart, inputs, outputs, alphas);
        consider({ hiddenUnits, alphas, bestEpoch: 0, validationLoss: validationPart ? evaluateHead(head, validationPart) : undefined, head });
        continue;
      }
      for (const weightDecay of decayCandidates) {
        options.signal?.throwIfAborted();
        const result = trainRegressionHead(trainPart, validationPart, inputs, outputs, { ...trainOptions, hiddenUnits, weightDecay });
        consider({ hiddenUnits, weightDecay, bestEpoch: result.bestEpoch, validationLoss: result.validationLoss, head: result.head });
      }
    }
    const winner = chosen!;
    let head = winner.head;
    const refit = (options.refit ?? true) && validationPart !== undefined;
    if (refit) {
      // The refit on every row can take longer than the search: it is a job of its own, so it is not silent.
      const refitTracker = new ProgressTracker('refit-attribute-head', { total: 1, unit: 'fits', listeners: [options.onProgress] });
      const all = Array.from({ length: rows }, (_, index) => index);
      featureNormalisation = featureStandardizer(features);
      targetNormalisation = fitStandardizer(targets, outputs, mask);
      const full = dataset(all, featureNormalisation, targetNormalisation);
      head = winner.alphas
        ? fitRidgeHead(full, inputs, outputs, winner.alphas)
        : trainRegressionHead(full, undefined, inputs, outputs, { ...trainOptions, hiddenUnits: winner.hiddenUnits, weightDecay: winner.weightDecay ?? 0, maxEpochs: Math.max(1, winner.bestEpoch) }).head;
      refitTracker.step(1, 1, { rows });
      refitTracker.end({ rows });
    }
    const report: TrainingReport = {
      rows,
      trainRows: split.train.length,
      validationRows: split.validation.length,
      hiddenUnits: winner.hiddenUnits,
      weightDecay: winner.weightDecay,
      ridgeAlphas: winner.alphas ? Object.fromEntries(schema.names.map((name, column) => [name, winner.alphas![column]!])) : undefined,
      bestEpoch: winner.bestEpoch,
      candidates: tried,
      validationLoss: winner.validationLoss,
      crossValidationLoss,
      refit,
      featurizeMs: timing.featurizeMs ?? 0,
      trainMs: performance.now() - started,
    };
    tracker.end({ ...report, candidates: tried.length });
    return new AttributePredictor({ schema, featurizer, head, featureNormalisation, targetNormalisation, trainingReport: { ...report } });
  }

  /** Returns one score per feature vector: continuous values and values clamped and rounded to the bins. */
  predictFromFeatures(vectors: readonly Float32Array[]): AttributeScore[] {
    const inputs = this.featurizer.dimension;
    const outputs = this.schema.names.length;
    vectors.forEach((vector, index) => {
      if (vector.length !== inputs) throw new ShapeError(`feature vector ${index} has ${vector.length} values, the model expects ${inputs}`);
    });
    if (vectors.length === 0) return [];
    const predictions = unstandardize(this.head.forward(standardize(flatten(vectors, inputs), this.featureNormalisation), vectors.length), this.targetNormalisation);
    return vectors.map((_, row) => {
      const values: Record<string, number> = {};
      const rounded: Record<string, number> = {};
      this.schema.attributes.forEach((definition, column) => {
        const value = predictions[row * outputs + column]!;
        values[definition.name] = value;
        rounded[definition.name] = clampToScale(value, definition);
      });
      return { values: Object.freeze(values), rounded: Object.freeze(rounded) };
    });
  }

  /** Returns one score per input, in order (featurized in batches of 64). */
  async predict(inputs: readonly ScoringInput[], options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<AttributeScore[]> {
    const features = await featurizeAll(this.featurizer, inputs, options.batchSize ?? 64, undefined, options.signal);
    return this.predictFromFeatures(features);
  }

  /** Returns one score per input, in order (the AttributeScorer interface; same as `predict`). */
  score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
    return this.predict(inputs);
  }

  /** Returns the summary of labelling `records` into a JSONL file with this predictor (see `annotate`; resumable by id). */
  annotate(options: Omit<AnnotateOptions, 'scorer'>): Promise<AnnotationSummary> {
    return annotate({ ...options, scorer: this });
  }

  /** Writes config.json and model.safetensors into `directory` (created when missing); returns the directory. */
  async save(directory: string): Promise<string> {
    await mkdir(directory, { recursive: true });
    const config: PredictorConfig = {
      format: PREDICTOR_FORMAT,
      formatVersion: PREDICTOR_FORMAT_VERSION,
      schema: { attributes: this.schema.attributes.map((definition) => ({ ...definition })) },
      featurizer: {
        id: this.featurizer.id,
        dimension: this.featurizer.dimension,
        ...(isDescribedFeaturizer(this.featurizer) ? { description: this.featurizer.description } : {}),
      },
      head: { ...this.head.config },
      normalisation: {
        featureMean: [...this.featureNormalisation.mean],
        featureStd: [...this.featureNormalisation.std],
        targetMean: [...this.targetNormalisation.mean],
        targetStd: [...this.targetNormalisation.std],
      },
      ...(this.trainingReport ? { training: { ...this.trainingReport } } : {}),
    };
    const tensors = Object.entries(this.head.parameters)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([name, tensor]) => ({ name, dtype: 'F32' as const, shape: tensor.shape, data: tensor.data }));
    const weights = encodeSafetensors(tensors, { metadata: { format: PREDICTOR_FORMAT, featurizer: this.featurizer.id } });
    await writeBytesAtomically(join(directory, PREDICTOR_FILES.weights), weights);
    await writeTextFileAtomically(join(directory, PREDICTOR_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    return directory;
  }

  /**
   * Returns the predictor saved in `directory`. Pass the featurizer it was trained with (required for a
   * caller-wired decoder featurizer); otherwise it is rebuilt from the saved description. A featurizer
   * whose id differs from the saved one is refused with a ModelFormatError.
   */
  static async load(directory: string, options: { featurizer?: Featurizer } = {}): Promise<AttributePredictor> {
    const configPath = join(directory, PREDICTOR_FILES.config);
    const weightsPath = join(directory, PREDICTOR_FILES.weights);
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch (cause) {
      throw new ModelFormatError('cannot read the predictor config', { file: configPath, cause, hint: 'pass a folder written by AttributePredictor.save' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new ModelFormatError('config.json is not valid JSON', { file: configPath, cause });
    }
    const { config, schema } = parsePredictorConfig(json, configPath);
    let featurizer = options.featurizer;
    if (!featurizer) {
      if (!config.featurizer.description) {
        throw new ModelFormatError(`the model was trained with featurizer ${config.featurizer.id}, which cannot be rebuilt from its config`, {
          file: configPath,
          field: 'featurizer',
          hint: 'pass the same featurizer: AttributePredictor.load(dir, { featurizer })',
        });
      }
      featurizer = createFeaturizer(config.featurizer.description);
    }
    if (featurizer.id !== config.featurizer.id || featurizer.dimension !== config.featurizer.dimension) {
      throw new ModelFormatError(
        `the model was trained with featurizer ${config.featurizer.id} (${config.featurizer.dimension} features) and cannot be used with ${featurizer.id} (${featurizer.dimension} features)`,
        { file: configPath, field: 'featurizer.id', hint: 'features of another featurizer mean nothing to this head: use the featurizer it was trained with, or retrain' },
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(weightsPath));
    } catch (cause) {
      throw new ModelFormatError('cannot read the predictor weights', { file: weightsPath, cause });
    }
    const tensors: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const tensor of decodeSafetensors(bytes, { file: weightsPath }).tensors) {
      if (tensor.dtype !== 'F32') {
        throw new ModelFormatError(`tensor "${tensor.name}" has dtype ${tensor.dtype}; a predictor's weights are F32`, { file: weightsPath, field: tensor.name, hint: 'save the weights as float32' });
      }
      tensors[tensor.name] = { data: tensor.data as Float32Array, shape: tensor.shape };
    }
    const head = RegressionHead.fromParameters(config.head, tensors);
    const normalisation = config.normalisation;
    return new AttributePredictor({
      schema,
      featurizer,
      head,
      featureNormalisation: { mean: Float32Array.from(normalisation.featureMean), std: Float32Array.from(normalisation.featureStd) },
      targetNormalisation: { mean: Float32Array.from(normalisation.targetMean), std: Float32Array.from(normalisation.targetStd) },
      ...(config.training ? { trainingReport: config.training } : {}),
    });
  }
}
