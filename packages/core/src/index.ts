/**
 * The public API of @steerlm/core (browser-safe: nothing here imports a Node built-in; file output is
 * `@steerlm/core/node`): errors, attribute schemas, the SteerLM template, the interfaces every package
 * implements, data formats, remote models and the utilities the other packages share. The remote
 * client's transport pieces (retry policy, SSE parsing, semaphore) are internal.
 */

// Errors: every error class (errors/index.ts names them)
export * from './errors';

// Attributes and scales
export { defineAttributeSchema, type AttributeDefinition, type AttributeSchema, type AttributeSchemaDefinition } from './attributes/attribute-schema';
export type { AttributeValues } from './attributes/attribute-schema';
export { formatAttributes, parseAttributes, validateAttributes } from './attributes/attribute-values';
export { CANONICAL_ATTRIBUTE_ORDER, HELPSTEER, OASST, STEERLM, STEERLM_PAPER_2023 } from './attributes/presets';
export { clampToScale, convertScale, roundHalfEven, toBins } from './attributes/scales';

// The prompt template
export { chatmlTemplate } from './prompt-template/chatml-template';
export { conditionPrompt, type ConditionPromptOptions } from './prompt-template/condition-prompt';
export {
  guidedPrompts,
  interpolateAttributes,
  MAX_INTERPOLATED_ATTRIBUTES,
  MAX_MIX_PROMPTS,
  mixedPromptRows,
  validateGuidance,
  type AttributeGuidance,
  type GuidedPromptOptions,
  type GuidedPrompts,
  type WeightedAttributes,
} from './prompt-template/guided-prompts';
export { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn, type LabelPlacement, type Role } from './prompt-template/conversation';
export { parseConversation, renderConversation } from './prompt-template/parse-conversation';
export type { ParseOptions, PromptTemplate, RenderOptions, SegmentPart, TemplateSegment } from './prompt-template/prompt-template';
export { CHATML_TOKENS, STEERLM_TOKENS } from './prompt-template/special-tokens';
export { steerlmTemplate } from './prompt-template/steerlm-template';

// Interfaces every package implements
export type { AttributeScore, AttributeScorer, ScoringInput } from './spec/attribute-scorer';
export type { Featurizer } from './spec/featurizer';
export type { FinishReason, GenerateOptions, GenerateResult, LanguageModel, LogProbabilityResult, WeightedPrompt } from './spec/language-model';
export type { ProgressEvent, ProgressEventType, ProgressListener } from './spec/progress-events';
export { ProgressTracker } from './spec/progress-tracker';
export type { Tokenizer } from './spec/tokenizer';

// Data formats
export type { JsonlSource } from './data/byte-source';
export { HELPSTEER_TURN_SEPARATOR, helpSteerRowToConversation, readHelpSteerConversations, readHelpSteerRows, splitHelpSteerPrompt } from './data/helpsteer';
export { validateHelpSteerRow, type HelpSteerConversationOptions, type HelpSteerRow } from './data/helpsteer';
export { toJsonlChunks, toJsonlLine } from './data/jsonl-line';
export { DEFAULT_MAX_LINE_BYTES, JsonlReader, readJsonl, REPORTED_ERRORS, type JsonlLine, type JsonlReport, type ReadJsonlOptions } from './data/jsonl-reader';
export { conversationToNemoRecord, nemoRecordToConversation, readNemoRecords, validateNemoRecord, type NemoRecord } from './data/nemo-record';
export type { NemoRecordOptions, NemoSpeaker, NemoTurn, ReadNemoRecordsOptions } from './data/nemo-record';
export { buildOasstTree, NEMO_OASST_LABELS, oasstAttributes, OasstReader, oasstTreeResponses, oasstTreeThreads } from './data/oasst-conversations';
export { readOasstResponses, readOasstThreads, type OasstConversationOptions, type OasstLabelOptions, type OasstNode } from './data/oasst-conversations';
export type { OasstReport, OasstResponse, OasstThread, OasstTreeStructure, ReadOasstOptions } from './data/oasst-conversations';
export { readOasstMessages, validateOasstMessage, type OasstMessage } from './data/oasst-message';
export { groupOasstTrees, isGroupedByTree, resolveGrouping, type OasstGrouping, type OasstTree } from './data/oasst-trees';
export { asRecordError, type RecordLocation } from './data/record-location';
export { conversationToRegressionRecords, readRegressionRecords, REGRESSION_LABEL_PREFIX, REGRESSION_MISSING } from './data/regression-record';
export { regressionLabelToAttributes, validateRegressionRecord, type RegressionOptions, type RegressionRecord } from './data/regression-record';
export { groupHash, partitionByGroup, splitByGroup, splitOfGroup, type GroupSplitOptions, type SplitByGroupOptions } from './data/split-by-group';
export type { SplitName } from './data/split-by-group';
export { readSteerLM2Records, steerLM2ResponseConversation, validateSteerLM2Record, type SteerLM2Record, type SteerLM2Response } from './data/steerlm2-record';

// Remote models (OpenAI-compatible endpoints)
export { createOpenAICompatibleChat, type ChatMessage, type ChatOptions, type OpenAICompatibleChat } from './remote/openai-compatible-chat';
export type { OpenAICompatibleChatOptions } from './remote/openai-compatible-chat';
export { createOpenAICompatibleModel, type OpenAICompatibleModel, type OpenAICompatibleModelOptions } from './remote/openai-compatible-model';
export type { RemoteEndpointOptions } from './remote/remote-endpoint';
export type { BackoffOptions } from './remote/retry-policy';
export { sleep } from './remote/sleep';

// Randomness and hashing
export { hashString, hashStringSeeded } from './random/hash-string';
export { fitLeastSquaresLine, type LeastSquaresLine } from './stats/least-squares-line';
export { normalSamples, randomInteger, seededRandom, shuffleInPlace, type RandomSource } from './random/seeded-random';

// Text
export { checkStopStrings, cutAtStop, type StopCut } from './text/stop-strings';

// Concurrency
export { mapWithConcurrency } from './concurrency/map-with-concurrency';

// safetensors
export { bfloat16BitsToFloat32, bfloat16BytesToFloat32, float16BitsToFloat32, float16BytesToFloat32 } from './safetensors/float-conversion';
export { float32ToBfloat16Bits, float32ToBfloat16Bytes, float32ToFloat16Bits, float32ToFloat16Bytes } from './safetensors/float-conversion';
export { checkTensorData, decodeSafetensors, encodeHeaderLength, encodeSafetensors, encodeSafetensorsHeader } from './safetensors/safetensors-codec';
export { entryByteLength, tensorDataBytes, type DecodedSafetensors, type SafetensorsEntry } from './safetensors/safetensors-codec';
export { bytesPerElement, elementCount, isFloatDtype, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors/safetensors-dtype';
export type { SafetensorsFloatDtype } from './safetensors/safetensors-dtype';
export { MAX_SAFETENSORS_HEADER_BYTES, parseSafetensorsHeader, readHeaderLength, type SafetensorsHeader } from './safetensors/safetensors-header';
export type { SafetensorsTensorInfo } from './safetensors/safetensors-header';
export { decodeTensorBytes, type SafetensorsTensor, type SafetensorsTensorData } from './safetensors/tensor-data';

// ONNX models in memory (the protobuf encoder every package that builds an ONNX graph shares)
export { ProtobufWriter, encodeVarint } from './onnx/protobuf-writer';
export { ONNX_DATA_TYPES, onnxAttribute, type OnnxAttribute, type OnnxDataType, type OnnxDimension, type OnnxGraph } from './onnx/onnx-model';
export type { OnnxModel, OnnxNode, OnnxOpsetImport, OnnxTensor, OnnxValueInfo } from './onnx/onnx-model';
export { MAX_ONNX_PROTOBUF_BYTES, encodeOnnxModel, encodeOnnxModelParts, tensorRawBytes } from './onnx/encode-onnx-model';
export type { ExternalDataPlacer, ExternalTensorLocation } from './onnx/encode-onnx-model';

// Tokenizers
export { CHAR_TOKENIZER_SPECIAL_TOKENS, charTokenizer } from './tokenizers/char-tokenizer';
