export { ProtobufWriter, encodeVarint } from './protobuf-writer';
export {
  ONNX_DATA_TYPES,
  onnxAttribute,
  type OnnxAttribute,
  type OnnxDataType,
  type OnnxDimension,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpsetImport,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-model';
export {
  MAX_ONNX_PROTOBUF_BYTES,
  encodeOnnxModel,
  encodeOnnxModelParts,
  tensorRawBytes,
  type ExternalDataPlacer,
  type ExternalTensorLocation,
} from './encode-onnx-model';
export { writeOnnxModel, type OnnxWriteResult, type WriteOnnxModelOptions } from './write-onnx-model';
