export {
  parsePredictorConfig,
  PREDICTOR_FILES,
  PREDICTOR_FORMAT,
  PREDICTOR_FORMAT_VERSION,
  type PredictorConfig,
  type SavedNormalisation,
} from './predictor-config';
