export { exportOnnx, EXTERNAL_DATA_THRESHOLD_BYTES, type ExportOnnxOptions, type ExportOnnxResult } from './export-onnx';
export { exportHuggingFace, type ExportHuggingFaceOptions } from './export-hugging-face';
export { DECODER_ONNX_DIMENSIONS, DECODER_ONNX_OPSET, cacheGeometry, decoderOnnxModel } from './decoder-onnx-graph';
export { OnnxGraphBuilder, ONNX_CAST_TO } from './onnx-graph-builder';
export {
  checkTokenizerFitsModel,
  exportGenerationConfig,
  resolveTokenizerFiles,
  writeModelFolderFiles,
  type ExportTokenizerSource,
  type GenerationConfigOverrides,
  type ResolvedTokenizerFiles,
} from './model-folder-files';
