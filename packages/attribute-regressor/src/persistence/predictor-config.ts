import { defineAttributeSchema, ModelFormatError, type AttributeDefinition, type AttributeSchema } from '@steerlm/core';
import type { FeaturizerDescription } from '../featurizers/featurizer-description';
import type { RegressionHeadConfig } from '../head/regression-head';

/** The `format` field of every saved attribute predictor's config.json. */
export const PREDICTOR_FORMAT = 'steerlm-attribute-predictor';
/** The version of the saved layout this package writes and reads. */
export const PREDICTOR_FORMAT_VERSION = 1;
/** The file names inside a saved predictor folder. */
export const PREDICTOR_FILES = Object.freeze({ config: 'config.json', weights: 'model.safetensors' });

/** Per-column mean and standard deviation of features and targets, as saved. */
export interface SavedNormalisation {
  featureMean: number[];
  featureStd: number[];
  targetMean: number[];
  targetStd: number[];
}

/** What config.json of a saved predictor holds (weights live in model.safetensors). */
export interface PredictorConfig {
  format: typeof PREDICTOR_FORMAT;
  formatVersion: number;
  schema: { attributes: AttributeDefinition[] };
  featurizer: { id: string; dimension: number; description?: FeaturizerDescription };
  head: RegressionHeadConfig;
  normalisation: SavedNormalisation;
  /** Per attribute, bins are round(intercept + slope · value); absent: round(value) (files before calibration). */
  binCalibration?: { slope: number[]; intercept: number[] };
  /** How the model was trained (hyperparameters chosen, losses); informational. */
  training?: Record<string, unknown>;
}

function numberArray(value: unknown, length: number, field: string, file: string): number[] {
  if (!Array.isArray(value) || value.length !== length || value.some((item) => typeof item !== 'number' || !Number.isFinite(item))) {
    throw new ModelFormatError(`${field} must be ${length} finite numbers`, { file, field });
  }
  return value as number[];
}

/** Returns the validated config and its schema; throws a ModelFormatError naming the bad field. */
export function parsePredictorConfig(value: unknown, file: string): { config: PredictorConfig; schema: AttributeSchema } {
  if (typeof value !== 'object' || value === null) throw new ModelFormatError('config.json is not a JSON object', { file });
  const config = value as Partial<PredictorConfig>;
  if (config.format !== PREDICTOR_FORMAT) {
    throw new ModelFormatError(`config.json has format ${JSON.stringify(config.format)}, expected "${PREDICTOR_FORMAT}"`, { file, field: 'format' });
  }
  if (config.formatVersion !== PREDICTOR_FORMAT_VERSION) {
    throw new ModelFormatError(`config.json has formatVersion ${String(config.formatVersion)}; this package reads ${PREDICTOR_FORMAT_VERSION}`, {
      file,
      field: 'formatVersion',
      hint: 'upgrade @steerlm/attribute-regressor',
    });
  }
  let schema: AttributeSchema;
  try {
    schema = defineAttributeSchema(config.schema as { attributes: AttributeDefinition[] });
  } catch (cause) {
    throw new ModelFormatError('config.json has an invalid schema', { file, field: 'schema', cause });
  }
  const featurizer = config.featurizer;
  if (!featurizer || typeof featurizer.id !== 'string' || !Number.isSafeInteger(featurizer.dimension)) {
    throw new ModelFormatError('config.json needs featurizer { id, dimension }', { file, field: 'featurizer' });
  }
  const head = config.head;
  if (!head || head.inputDimension !== featurizer.dimension || head.outputDimension !== schema.names.length || !Number.isSafeInteger(head.hiddenUnits)) {
    throw new ModelFormatError('config.json head does not fit the featurizer dimension and the schema', { file, field: 'head' });
  }
  const normalisation = config.normalisation as SavedNormalisation | undefined;
  if (!normalisation) throw new ModelFormatError('config.json has no normalisation', { file, field: 'normalisation' });
  numberArray(normalisation.featureMean, featurizer.dimension, 'normalisation.featureMean', file);
  numberArray(normalisation.featureStd, featurizer.dimension, 'normalisation.featureStd', file);
  numberArray(normalisation.targetMean, schema.names.length, 'normalisation.targetMean', file);
  numberArray(normalisation.targetStd, schema.names.length, 'normalisation.targetStd', file);
  if (config.binCalibration !== undefined) {
    const calibration = config.binCalibration as Partial<NonNullable<PredictorConfig['binCalibration']>> | null;
    if (typeof calibration !== 'object' || calibration === null)
      throw new ModelFormatError('binCalibration must be { slope, intercept }', { file, field: 'binCalibration' });
    numberArray(calibration.slope, schema.names.length, 'binCalibration.slope', file);
    numberArray(calibration.intercept, schema.names.length, 'binCalibration.intercept', file);
  }
  return { config: config as PredictorConfig, schema };
}
