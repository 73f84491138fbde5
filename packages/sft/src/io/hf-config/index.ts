export { GPT2_ACTIVATIONS, gpt2ConfigToJson, type Gpt2Activation, type Gpt2Config } from './gpt2-config';
export {
  LLAMA_ARCHITECTURES,
  SUPPORTED_ROPE_SCALING_TYPES,
  llamaConfigToJson,
  type LlamaArchitecture,
  type LlamaConfig,
  type RopeScaling,
} from './llama-config';
export { SUPPORTED_ARCHITECTURES, modelConfigToJson, parseModelConfig, readModelConfig, writeModelConfig, type ModelConfig } from './model-config';
export { generationConfigToJson, parseGenerationConfig, readGenerationConfig, writeGenerationConfig, type GenerationConfig } from './generation-config';
export { CONFIG_FAMILIES, MODEL_FAMILY_NAMES, type ConfigFamily, type ConfigOfFamily, type ModelFamilyName } from './config-families';
