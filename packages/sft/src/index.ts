/**
 * The public API of @steerlm/sft: backends, decoder models and their families, configs and tokenizers,
 * conditioned SFT, data-parallel training and export. Advanced pieces live behind subpaths:
 * `@steerlm/sft/kernels` (fused ops and the WGSL runtime), `@steerlm/sft/io` (file formats) and
 * `@steerlm/sft/trainer` (the optimizer step and batching). Test helpers are never exported.
 */

// Backends
export { BACKEND_ORDER, isBackendName, type BackendName } from './backend/backend-name';
export { ensureBackend } from './backend/ensure-backend';
export { currentSelection, selectBackend, type BackendSelection, type FallbackAttempt, type SelectBackendOptions } from './backend/select-backend';
export type { DeviceSelfTestReport } from './backend/device-self-tests';
export type { AdapterDescription, DeviceFeatures, SubgroupMatrixConfig } from './backend/device-features';
export { acquireWebGPUDevice, SoftwareAdapterError, type AcquireDeviceOptions, type AcquiredDevice } from './backend/dawn-device';
// Reading values back (asynchronously, GPU errors checked) and the GPU error record
export { readFloat32, readRows, readScalar, readTensor } from './backend/read-tensor';
export { takeDeviceErrors, throwIfDeviceFailed, type DeviceErrorKind, type DeviceErrorRecord } from './backend/device-errors';

// Decoder models
export { DecoderModel, type LoadOptions, type SaveOptions } from './models/decoder-model';
export { checkModelSize, modelParameterCount, type ModelSizeLimit } from './models/model-size';
export type { ForwardInput, ParameterSource } from './models/forward-pieces';
export { generateTokens, type GeneratedStep, type GenerateTokensOptions } from './models/generate-tokens';
export { mixLogitRows, type RowWeight } from './models/mix-logit-rows';
export {
  ContinuousBatcher,
  type BatchedRequest,
  type BatchedRequestOptions,
  type BatchingDecodeSource,
  type ContinuousBatcherOptions,
} from './models/continuous-batcher';
export { KeyValueCache, type LayerCache } from './models/key-value-cache';
export { DECODE_ENGINES, LocalLanguageModel, type DecodeEngineName, type LocalLanguageModelOptions } from './models/local-language-model';
export type { BatchingDecodeSession, DecodeSession } from './models/decode-session';
export { TfjsDecodeSession } from './models/tfjs-decode-session';
export { OnnxruntimeDecoder, type OnnxruntimeDecoderOptions } from './models/onnxruntime-decoder';
// What the onnxruntime decode worker thread (OnnxruntimeDecoderOptions.worker) loads from this module
export { runOnnxruntimeDecodeWorker } from './models/onnxruntime-decode-worker';
export type { ScoredToken, ScoreTokensOptions, TokenAlternative } from './models/score-tokens';
export type { LoraAdapter, LoraConfig } from './models/lora';
export { parameterSpecs, type ParameterInit, type ParameterSpec } from './models/parameter-specs';
export { validateSamplingOptions, type SamplingOptions } from './models/sampling';

// Model families and their configs
export { modelFamily } from './families/registry';
export type { CacheGeometry, ModelFamily } from './families/model-family';
export { MODEL_FAMILY_NAMES, unknownFamily, type ModelConfig, type ModelFamilyName } from './io/hf-config/config-families';
export { modelConfigToJson, parseModelConfig, readModelConfig, SUPPORTED_ARCHITECTURES, writeModelConfig } from './io/hf-config/model-config';
export { GPT2_ACTIVATIONS, type Gpt2Activation, type Gpt2Config } from './io/hf-config/gpt2-config';
export { LLAMA_ARCHITECTURES, SUPPORTED_ROPE_SCALING_TYPES, type LlamaArchitecture, type LlamaConfig, type RopeScaling } from './io/hf-config/llama-config';
export {
  generationConfigToJson,
  parseGenerationConfig,
  readGenerationConfig,
  writeGenerationConfig,
  type GenerationConfig,
} from './io/hf-config/generation-config';

// Tokenizers
export { tokenizerFromJson, TransformersTokenizer, type TokenizerDecodeOptions, type TokenizerEncodeOptions } from './io/tokenizer/transformers-tokenizer';
export { loadTokenizer } from './io/tokenizer/load-tokenizer';
export { ensureSpecialTokens, type EnsureSpecialTokensOptions, type EnsureSpecialTokensResult } from './io/tokenizer/ensure-special-tokens';
export type { AddedTokenJson, TokenizerJson } from './io/tokenizer/tokenizer-json';
export {
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_SPECIAL_TOKENS,
  trainByteLevelBpe,
  type TrainByteLevelBpeOptions,
  type TrainedByteLevelBpe,
} from './io/bpe-trainer/train-byte-level-bpe';
export {
  byteLevelBpeTokenizerConfig,
  byteLevelBpeTokenizerJson,
  writeByteLevelBpeTokenizer,
  type ByteLevelBpeConfigOptions,
} from './io/bpe-trainer/byte-level-bpe-files';

// Conditioned SFT and SteerLM 2.0
export { trainConditionedSFT, trainConditionedSFTEvents, type TrainConditionedSFTOptions, type TrainSummary } from './trainer/train-conditioned-sft';
export type { PrecisionChoice, TrainingPrecision } from './kernels/runtime/precision';
export type { LossScaleOptions, LossScaleReport } from './kernels/adamw/loss-scale';
export { trainSteerLM2, type SteerLM2Summary, type TrainSteerLM2Options } from './trainer/train-steerlm2';
export { tokenizeConversation, type LossMaskOptions, type TokenizedExample } from './trainer/loss-mask';
export { listCheckpoints, readCheckpointState, type CheckpointState, type TrainingPosition } from './trainer/checkpoint';
export {
  findResumeCheckpoint,
  prepareRunFolder,
  readRunStatus,
  RUN_STATUS_FILE,
  writeRunStatus,
  type PrepareRunFolderOptions,
  type RunStatus,
} from './trainer/run-folder';
export type { RunFingerprint } from './trainer/run-fingerprint';
export type { LearningRateSchedule } from './trainer/learning-rate-schedule';
export type { TrainingBatch } from './trainer/batching';
export type { StepOutcome } from './trainer/train-step';
export type { AdamWConfig } from './kernels/adamw/adamw.reference';
// The matmul kernels of the cpu and wasm backends (onnxruntime's MLAS by default where it loads)
export { hostMatmulEngine, setHostMatmulEngine, type HostMatmulEngine } from './kernels/host/mlas-ops';
export { mlasAvailable, mlasThreads, setMlasThreads } from './kernels/host/mlas-gemm';

// Data-parallel training (runDataParallelWorker is what the worker threads load from this module)
export { DataParallelTrainer, type DataParallelOptimizerState, type DataParallelOptions } from './parallel/data-parallel-trainer';
export type { DataParallelStepTimings } from './parallel/data-parallel-protocol';
export { isDataParallelWorker, runDataParallelWorker } from './parallel/data-parallel-worker';

// Export
export { exportHuggingFace, type ExportHuggingFaceOptions } from './export/export-hugging-face';
export { exportOnnx, EXTERNAL_DATA_THRESHOLD_BYTES, type ExportOnnxOptions, type ExportOnnxResult } from './export/export-onnx';
export type { ExportTokenizerSource, GenerationConfigOverrides } from './export/model-folder-files';
