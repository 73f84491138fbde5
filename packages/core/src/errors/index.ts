export { SteerLMError, type ErrorLocation, type SteerLMErrorOptions } from './steerlm-error';
export {
  BackendError,
  ContextLengthError,
  DataFormatError,
  InvalidAttributeError,
  InvalidOptionError,
  InvalidSchemaError,
  ModelFormatError,
  RemoteError,
  ShapeError,
  TemplateError,
  TrainingError,
} from './kinds';
