export { DecoderModel, type LoadOptions, type SaveOptions } from './decoder-model';
export { checkModelSize, modelParameterCount, type ModelSizeLimit } from './model-size';
export type { ForwardInput, ParameterSource } from './decoder-forward';
export { KeyValueCache, type LayerCache } from './key-value-cache';
export { generateTokens, type GeneratedStep, type GenerateTokensOptions } from './generate-tokens';
export { mixLogitRows, type RowWeight } from './mix-logit-rows';
export {
  ContinuousBatcher,
  type BatchedRequest,
  type BatchedRequestOptions,
  type BatchingDecodeSource,
  type ContinuousBatcherOptions,
} from './continuous-batcher';
export { sampleToken, validateSamplingOptions, type SamplingOptions } from './sampling';
export { DECODE_ENGINES, LocalLanguageModel, type DecodeEngineName, type LocalLanguageModelOptions } from './local-language-model';
export type { BatchingDecodeSession, DecodeSession } from './decode-session';
export { TfjsDecodeSession } from './tfjs-decode-session';
export { OnnxruntimeDecoder, type OnnxruntimeDecoderOptions } from './onnxruntime-decoder';
export type { ScoredToken, ScoreTokensOptions, TokenAlternative } from './score-tokens';
export { resolveLoraConfig, type LoraAdapter, type LoraConfig } from './lora';
export { parameterSpecs, type ParameterInit, type ParameterSpec } from './parameter-specs';
