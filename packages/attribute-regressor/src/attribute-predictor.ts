import {
  decodeSafetensors,
  encodeSafetensors,
  ModelFormatError,
  ProgressTracker,
  ShapeError,
  TrainingError,
  type AttributeSchema,
  type AttributeScore,
  type AttributeScorer,
  type Featurizer,
  type ScoringInput,
} from '@steerlm/core';
import type { AnnotateOptions, AnnotationSummary } from './annotate';
import { featureBlocksOf, isDescribedFeaturizer } from './featurizers/featurizer-description';
import { createFeaturizer } from './featurizers/featurizer-registry';
import { RegressionHead } from './head/regression-head';
import type { Standardizer } from './head/standardizer';
import { nodeSupport } from './node-support';
import { parsePredictorConfig, PREDICTOR_FILES, PREDICTOR_FORMAT, PREDICTOR_FORMAT_VERSION, type PredictorConfig } from './persistence/predictor-config';
import type { PredictorFiles } from './persistence/predictor-files';
import { featurizeAll } from './predictor/featurize-all';
import { labelMatrix } from './predictor/label-matrix';
import { predictScores, type BinCalibration } from './predictor/predict-scores';
import type { AttributeCalibration, AttributePredictorTrainOptions, FeatureExamples, TrainingExample, TrainingReport } from './predictor/predictor-types';
import { flatten } from './predictor/row-matrix';
import { candidateCount, resolveSelectionSettings, selectHead } from './predictor/select-head';
import { splitRows } from './predictor/split-rows';

export { MISSING_LABEL } from './predictor/label-matrix';
export type { AttributeCalibration, AttributePredictorTrainOptions, FeatureExamples, TrainingExample, TrainingReport } from './predictor/predictor-types';
export type { PredictorFiles } from './persistence/predictor-files';

/**
 * SteerLM's attribute prediction model as a featurizer plus a regression head: trains on labelled
 * responses, predicts continuous values (mean estimates) and bins (calibrated for MAE, clamped and rounded), and saves
 * to a folder (config.json + model.safetensors). Saving, loading and annotating files need Node (the
 * `node` export condition installs them); in a browser, `toFiles` and `fromFiles` carry the same files.
 */
export class AttributePredictor implements AttributeScorer {
  readonly specificationVersion = 'v1' as const;
  readonly schema: AttributeSchema;
  readonly featurizer: Featurizer;
  readonly head: RegressionHead;
  readonly featureNormalisation: Standardizer;
  readonly targetNormalisation: Standardizer;
  /**
   * Per attribute, the map from the continuous value to the value rounded to a bin, fitted for mean
   * absolute error in training (see `TrainingReport.calibration`); undefined: values are rounded as they are.
   */
  readonly binCalibration: BinCalibration | undefined;
  /** How the model was trained, when it was trained or loaded with a report. */
  readonly trainingReport: Readonly<Record<string, unknown>> | undefined;

  /** Wraps trained parts; use `train`, `trainFromFeatures` or `load` to get one. */
  constructor(parts: {
    schema: AttributeSchema;
    featurizer: Featurizer;
    head: RegressionHead;
    featureNormalisation: Standardizer;
    targetNormalisation: Standardizer;
    binCalibration?: BinCalibration | undefined;
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
    const calibration = parts.binCalibration;
    if (calibration && (calibration.slope.length !== schema.names.length || calibration.intercept.length !== schema.names.length)) {
      throw new ShapeError(
        `the bin calibration has ${calibration.slope.length} slopes and ${calibration.intercept.length} intercepts for ${schema.names.length} attributes`,
      );
    }
    this.binCalibration = calibration;
    this.trainingReport = parts.trainingReport;
  }

  /** Returns a predictor trained on the examples: featurizes them, then `trainFromFeatures`. */
  static async train(examples: readonly TrainingExample[], options: AttributePredictorTrainOptions): Promise<AttributePredictor> {
    if (!Array.isArray(examples) || examples.length === 0)
      throw new TrainingError('there are no training examples', { hint: 'give at least one labelled example' });
    const batchSize = options.featurizeBatchSize ?? 64;
    const started = performance.now();
    const tracker = new ProgressTracker('featurize', { total: examples.length, unit: 'responses', listeners: [options.onProgress] });
    const features = await featurizeAll(
      options.featurizer,
      examples.map((example) => example.input),
      batchSize,
      tracker,
      options.signal,
    );
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
   * validation part. The lowest validation loss wins and (with `refit`) is retrained on all rows. With
   * `calibrate`, each attribute's output map is then fitted for MAE on held-out predictions (see
   * `TrainingReport.calibration`): never worse than predicting the median there.
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
    const settings = resolveSelectionSettings(options);
    const features = flatten(examples.features, inputs);
    const { targets, mask } = labelMatrix(examples.labels, schema);
    const split = splitRows(examples.groups, rows, options.validationFraction ?? 0.15, settings.seed);
    const tracker = new ProgressTracker('train-attribute-head', { total: candidateCount(settings), unit: 'candidates', listeners: [options.onProgress] });
    const data = { features, targets, mask, rows, inputs, outputs, groups: examples.groups };
    const selected = selectHead(data, split, featureBlocksOf(featurizer), schema.attributes, settings, tracker, options.signal, options.onProgress);
    const alphas = selected.ridgeAlphas;
    const report: TrainingReport = {
      rows,
      trainRows: split.train.length,
      validationRows: split.validation.length,
      hiddenUnits: selected.hiddenUnits,
      weightDecay: selected.weightDecay,
      ridgeAlphas: alphas ? Object.fromEntries(schema.names.map((name, column) => [name, alphas[column]!])) : undefined,
      ridgeBlockScales: selected.ridgeBlockScales
        ? Object.fromEntries(schema.names.map((name, column) => [name, selected.ridgeBlockScales![column]!]))
        : undefined,
      bestEpoch: selected.bestEpoch,
      candidates: selected.candidates,
      validationLoss: selected.validationLoss,
      constantValidationLoss: selected.constantValidationLoss,
      crossValidationLoss: selected.crossValidationLoss,
      refit: selected.refit,
      calibration: selected.calibration
        ? Object.fromEntries(
            schema.names.map((name, column) => {
              const map = selected.calibration![column]!;
              const calibration: AttributeCalibration = { ...map };
              return [name, calibration];
            }),
          )
        : undefined,
      featurizeMs: timing.featurizeMs ?? 0,
      trainMs: performance.now() - started,
    };
    tracker.end({ ...report, candidates: selected.candidates.length });
    const { head, featureNormalisation, targetNormalisation } = selected;
    const binCalibration = selected.calibration
      ? { slope: Float32Array.from(selected.calibration, (map) => map.slope), intercept: Float32Array.from(selected.calibration, (map) => map.intercept) }
      : undefined;
    return new AttributePredictor({ schema, featurizer, head, featureNormalisation, targetNormalisation, binCalibration, trainingReport: { ...report } });
  }

  /** Returns one score per feature vector: continuous values (mean estimates) and bins (MAE-calibrated, clamped and rounded). */
  predictFromFeatures(vectors: readonly Float32Array[]): AttributeScore[] {
    return predictScores(this, vectors, this.featurizer.dimension);
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
  async annotate(options: Omit<AnnotateOptions, 'scorer'>): Promise<AnnotationSummary> {
    return nodeSupport('AttributePredictor.annotate', 'in a browser, label records with predict').annotate({ ...options, scorer: this });
  }

  /** Writes config.json and model.safetensors into `directory` (created when missing, each file atomically); returns the directory. Node only. */
  async save(directory: string): Promise<string> {
    await nodeSupport('AttributePredictor.save', 'in a browser, use predictor.toFiles()').writePredictorFiles(directory, this.toFiles());
    return directory;
  }

  /** Returns the saved form of this predictor: the text of config.json and the bytes of model.safetensors. */
  toFiles(): PredictorFiles {
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
      ...(this.binCalibration ? { binCalibration: { slope: [...this.binCalibration.slope], intercept: [...this.binCalibration.intercept] } } : {}),
      ...(this.trainingReport ? { training: { ...this.trainingReport } } : {}),
    };
    const tensors = Object.entries(this.head.parameters)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
      .map(([name, tensor]) => ({ name, dtype: 'F32' as const, shape: tensor.shape, data: tensor.data }));
    const weights = encodeSafetensors(tensors, { metadata: { format: PREDICTOR_FORMAT, featurizer: this.featurizer.id } });
    return { config: `${JSON.stringify(config, null, 2)}\n`, weights };
  }

  /**
   * Returns the predictor saved in `directory`. Pass the featurizer it was trained with (required for a
   * caller-wired decoder featurizer); otherwise it is rebuilt from the saved description. A featurizer
   * whose id differs from the saved one is refused with a ModelFormatError.
   */
  static async load(directory: string, options: { featurizer?: Featurizer } = {}): Promise<AttributePredictor> {
    const { files, paths } = await nodeSupport(
      'AttributePredictor.load',
      'in a browser, fetch config.json and model.safetensors and call AttributePredictor.fromFiles',
    ).readPredictorFiles(directory);
    return AttributePredictor.fromFiles(files, { ...options, paths });
  }

  /**
   * Returns the predictor saved as `files` (see `toFiles`), as `load` does from a folder. `paths` names
   * where the files came from in error messages (default config.json and model.safetensors).
   */
  static fromFiles(files: PredictorFiles, options: { featurizer?: Featurizer; paths?: { config: string; weights: string } } = {}): AttributePredictor {
    const configPath = options.paths?.config ?? PREDICTOR_FILES.config;
    const weightsPath = options.paths?.weights ?? PREDICTOR_FILES.weights;
    const text = files?.config;
    if (typeof text !== 'string')
      throw new ModelFormatError('the predictor config must be the text of config.json', {
        file: configPath,
        hint: 'pass { config: string, weights: Uint8Array }',
      });
    if (!(files.weights instanceof Uint8Array))
      throw new ModelFormatError('the predictor weights must be the bytes of model.safetensors', {
        file: weightsPath,
        hint: 'pass { config: string, weights: Uint8Array }',
      });
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
        {
          file: configPath,
          field: 'featurizer.id',
          hint: 'features of another featurizer mean nothing to this head: use the featurizer it was trained with, or retrain',
        },
      );
    }
    const tensors: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const tensor of decodeSafetensors(files.weights, { file: weightsPath }).tensors) {
      if (tensor.dtype !== 'F32') {
        throw new ModelFormatError(`tensor "${tensor.name}" has dtype ${tensor.dtype}; a predictor's weights are F32`, {
          file: weightsPath,
          field: tensor.name,
          hint: 'save the weights as float32',
        });
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
      ...(config.binCalibration
        ? { binCalibration: { slope: Float32Array.from(config.binCalibration.slope), intercept: Float32Array.from(config.binCalibration.intercept) } }
        : {}),
      ...(config.training ? { trainingReport: config.training } : {}),
    });
  }
}
