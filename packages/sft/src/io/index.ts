/**
 * `@steerlm/sft/io`: the file formats under the models: safetensors checkpoints (single and sharded),
 * ONNX models, tokenizer files and the Hugging Face folder layout. Codecs' internals (protobuf writer,
 * header parsing) stay internal.
 */

// safetensors files (the codec, dtypes and header types are @steerlm/core's)
export { SafetensorsReader } from './safetensors/safetensors-reader';
export { writeSafetensors, type SafetensorsWriteEntry, type WriteSafetensorsOptions } from './safetensors/safetensors-writer';
export { SHARDED_INDEX_FILE, SINGLE_CHECKPOINT_FILE, SafetensorsCheckpoint, readShardedIndex, writeShardedSafetensors } from './safetensors/sharded-checkpoint';
export type { ShardedIndex, ShardedWriteResult, WriteShardedOptions } from './safetensors/sharded-checkpoint';

// ONNX
export { ONNX_DATA_TYPES, onnxAttribute } from './onnx';
export type { OnnxAttribute, OnnxDataType, OnnxDimension, OnnxGraph, OnnxModel, OnnxNode, OnnxOpsetImport, OnnxTensor, OnnxValueInfo } from './onnx';
export { encodeOnnxModel, type ExternalDataPlacer, type ExternalTensorLocation } from './onnx';
export { writeOnnxModel, type OnnxWriteResult, type WriteOnnxModelOptions } from './onnx/write-onnx-model';
export { DECODER_ONNX_DIMENSIONS, DECODER_ONNX_OPSET, decoderOnnxModel, type DecoderOnnxOptions } from '../export/decoder-onnx-graph';

// Tokenizer files and model folders
export { locateTokenizerFiles, readTokenizerFiles, tokenizerVocabSize, validateTokenizerJson, type TokenizerFiles } from './tokenizer/read-tokenizer-files';
export { ensureSpecialTokensInJson } from './tokenizer/ensure-special-tokens';
export {
  checkTokenizerFitsModel,
  exportGenerationConfig,
  resolveTokenizerFiles,
  writeModelFolderFiles,
  type ResolvedTokenizerFiles,
} from '../export/model-folder-files';
