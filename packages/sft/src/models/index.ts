export { DecoderModel, type LoadOptions, type SaveOptions } from './decoder-model';
export { checkModelSize, modelParameterCount, type ModelSizeLimit } from './model-size';
export type { ForwardInput, ParameterSource } from './decoder-forward';
export { KeyValueCache, type LayerCache } from './key-value-cache';
export { generateTokens, type GeneratedStep, type GenerateTokensOptions } from './generate-tokens';
export { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';
export { LocalLanguageModel } from './local-language-model';
export { resolveLoraConfig, type LoraAdapter, type LoraConfig } from './lora';
export { parameterSpecs, type ParameterInit, type ParameterSpec } from './parameter-specs';
