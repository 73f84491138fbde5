export { AttributeEchoModel, type AttributeEchoModelOptions } from './attribute-echo-model';
export { BUILTIN_MODELS, loadLanguageModel, type LoadedLanguageModel } from './load-language-model';
export { parseAttributeOption } from './parse-attribute-option';
export { SCHEMA_NAMES, schemaByName } from './schema-by-name';
export {
  readSteeringSettings,
  resolveModelSteering,
  STEERING_SETTINGS_FILE,
  writeSteeringSettings,
  type ModelSteering,
  type SteeringSettings,
} from './model-folder-settings';
export { isFolderlessModel, resolveModelFolder, type ModelFolder } from './resolve-model-folder';
export { selectComputeBackend, type ComputeBackend } from './select-compute-backend';
