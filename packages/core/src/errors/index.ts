export { SteerLMError, type ErrorLocation, type SteerLMErrorOptions } from './steerlm-error';
export {
  BackendError,
  ContextLengthError,
  DataFormatError,
  HubError,
  type HubErrorReason,
  InvalidAttributeError,
  InvalidOptionError,
  InvalidSchemaError,
  ModelFormatError,
  RemoteError,
  ShapeError,
  TemplateError,
  TrainingError,
} from './kinds';
