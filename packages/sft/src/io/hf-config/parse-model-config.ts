import { ConfigFields, expectJsonObject } from './config-fields';
import { CONFIG_FAMILIES, MODEL_FAMILY_NAMES, configFamilyOf, familyOfArchitecture, type ModelConfig } from './config-families';

/** The `architectures[0]` values understood, and their `model_type`. */
export const SUPPORTED_ARCHITECTURES: Record<string, string> = Object.assign({}, ...MODEL_FAMILY_NAMES.map((family) => CONFIG_FAMILIES[family].architectures));

function describeSupported(): string {
  return Object.entries(SUPPORTED_ARCHITECTURES)
    .map(([architecture, modelType]) => `${architecture} (${modelType})`)
    .join(', ');
}

/** Returns the typed config of a parsed Hugging Face `config.json` object (`file` names it in errors). */
export function parseModelConfig(json: unknown, file?: string): ModelConfig {
  const object = expectJsonObject(json, 'config.json', file);
  const fields = new ConfigFields(object, file);
  const architectures = object.architectures;
  let architecture: string | undefined;
  if (architectures !== undefined && architectures !== null) {
    if (!Array.isArray(architectures) || architectures.length === 0 || typeof architectures[0] !== 'string') {
      throw fields.error('architectures', `"architectures" must be a non-empty list of class names, got ${JSON.stringify(architectures)}`);
    }
    architecture = architectures[0];
  }
  const modelType = object.model_type;
  if (architecture === undefined) {
    const match = Object.entries(SUPPORTED_ARCHITECTURES).find(([, type]) => type === modelType);
    if (match === undefined) {
      throw fields.error('model_type', `unsupported model_type ${JSON.stringify(modelType)} and no "architectures" (supported: ${describeSupported()})`);
    }
    architecture = match[0];
  }
  const family = familyOfArchitecture(architecture);
  if (family === undefined) {
    throw fields.error(
      'architectures',
      `unsupported architecture "${architecture}" (supported: ${describeSupported()})`,
      'convert the model to one of the supported decoder families',
    );
  }
  if (modelType !== undefined && modelType !== SUPPORTED_ARCHITECTURES[architecture]) {
    throw fields.error(
      'model_type',
      `model_type ${JSON.stringify(modelType)} does not match architecture ${architecture} (expected "${SUPPORTED_ARCHITECTURES[architecture]}")`,
    );
  }
  return CONFIG_FAMILIES[family].parse(fields, architecture);
}

/** Returns the Hugging Face `config.json` object of a typed config (known fields, then the kept extras). */
export function modelConfigToJson(config: ModelConfig): Record<string, unknown> {
  return configFamilyOf(config).toJson(config);
}
