/**
 * `@steerlm/sft/browser`: what a web page needs to decode an exported model folder with onnxruntime-web,
 * with the same sampling loop as Node (temperature, top-k, top-p, seed, stops, logit mixing) and the same
 * tokenizer class. Nothing reachable from here imports tfjs or a Node built-in (browser-bundle.test.ts).
 */
export { generateTokens, type GeneratedStep, type GenerateTokensOptions } from './models/generate-tokens';
export type { DecodeSession } from './models/decode-session';
export { mixLogitRows, validateRowGroups, type RowWeight } from './models/mix-logit-rows';
export { sampleToken, validateSamplingOptions, type SamplingOptions } from './models/sampling';
export {
  decodeGeometryOfSession,
  LOGITS_INDEX_INPUT,
  OnnxruntimeDecodeSession,
  type DecodeGeometry,
  type OnnxruntimeDecodeSessionOptions,
  type OrtModule,
  type OrtSession,
} from './models/onnxruntime-decode-session';
export { modelConfigToJson, parseModelConfig, SUPPORTED_ARCHITECTURES } from './io/hf-config/parse-model-config';
export type { ModelConfig, ModelFamilyName } from './io/hf-config/config-families';
export { tokenizerFromJson, TransformersTokenizer, type TokenizerDecodeOptions, type TokenizerEncodeOptions } from './io/tokenizer/transformers-tokenizer';
export { tokenizerVocabSize, validateTokenizerJson, type AddedTokenJson, type TokenizerJson } from './io/tokenizer/tokenizer-json';
